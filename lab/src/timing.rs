//! Time per payment, payword against the peers, in one run.
//!
//! No criterion: each operation is timed with [`Instant`] over batches of
//! many iterations (a batch's length is calibrated to a target duration),
//! and the figure reported is the median over the batches of the time per
//! operation. State an operation consumes (a receiver's chain, a session,
//! an LMS key's leaves) is rebuilt between batches, outside the timed
//! region. The machine is shared and noisy: read the *ratios* between rows
//! of one run, not the absolute figures.
//!
//! payword's operations run with the feature `count` on (the lab needs it),
//! which adds a thread-local increment per hash call; their counts per
//! operation are measured with [`payword::cost::measure`] over one untimed
//! batch.

use std::hint::black_box;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use hbs_lms::Sha256_256;
use payword::symmetric::{
    BrokerKeys, CustomerSession, LongTermKey, ReplayCache, RequestFields, RequestId, RequestNonce,
    SymmetricBroker, SymmetricPayment, SymmetricSession, TicketRequest,
};
use payword::{
    BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CommittedChain, CustomerId, Encode as _, HashAlg, MessageSigner as _,
    Payment, PaymentBody, Payword, Pebbler, Receiver, Session, Sha256, StoreAll, Traversal,
    TweakableHash as _, VendorId, Word,
};
use rand_core::Rng as _;

use crate::error::LabError;
use crate::peers::{self, LmsProfile, Voucher, VoucherChannel};
use crate::progress::Progress;

/// Who does the operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Party {
    /// The vendor accepting one payment.
    Vendor,
    /// The customer making one payment.
    Customer,
    /// A bare hash-chain step (generation or traversal).
    Chain,
}

impl Party {
    /// A short name.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Vendor => "vendor",
            Self::Customer => "customer",
            Self::Chain => "chain",
        }
    }
}

/// One timed operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Timing {
    /// A stable identifier (CSV).
    pub id: &'static str,
    /// Who does it.
    pub party: Party,
    /// The scheme or peer it belongs to.
    pub system: &'static str,
    /// What one operation is.
    pub what: &'static str,
    /// Median nanoseconds per operation.
    pub ns: f64,
    /// Fastest batch, ns per operation.
    pub ns_min: f64,
    /// Slowest batch, ns per operation.
    pub ns_max: f64,
    /// Batches timed.
    pub batches: usize,
    /// Operations per batch.
    pub iters: usize,
    /// Hash calls per operation (counted; see `counted_by`).
    pub hashes: Option<f64>,
    /// Signatures made or verified per operation.
    pub signatures: Option<f64>,
    /// MACs per operation.
    pub macs: Option<f64>,
    /// Bytes of the payment message, where the operation handles one.
    pub bytes: Option<usize>,
    /// How the counts were obtained.
    pub counted_by: &'static str,
}

/// How long and how often to time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Batches per operation (the median is over them).
    pub batches: usize,
    /// Target duration of one batch.
    pub batch_time: Duration,
    /// Paywords in the chains the vendor operations consume.
    pub chain_len: u32,
}

impl Plan {
    /// The plan of a normal run (21 batches of 20 ms) or a quick one (5 of
    /// 2 ms).
    #[must_use]
    pub const fn new(quick: bool) -> Self {
        if quick {
            Self {
                batches: 5,
                batch_time: Duration::from_millis(2),
                chain_len: 1 << 12,
            }
        } else {
            Self {
                batches: 21,
                batch_time: Duration::from_millis(20),
                chain_len: 1 << 16,
            }
        }
    }
}

/// Medians of one timed operation.
#[derive(Clone, Copy, Debug)]
struct Stat {
    ns: f64,
    min: f64,
    max: f64,
    batches: usize,
    iters: usize,
}

/// Times `op(state, i)` for `i` in `0..iters` per batch, with `setup`
/// (untimed) giving a fresh state for each batch; `max_iters` bounds a
/// batch (the state's capacity).
fn bench<S>(
    plan: &Plan,
    max_iters: usize,
    mut setup: impl FnMut() -> Result<S, LabError>,
    mut op: impl FnMut(&mut S, usize),
) -> Result<Stat, LabError> {
    let max_iters = max_iters.max(1);
    let mut timed = |iters: usize| -> Result<Duration, LabError> {
        let mut s = setup()?;
        let start = Instant::now();
        for i in 0..iters {
            op(&mut s, i);
        }
        let t = start.elapsed();
        drop(black_box(s));
        Ok(t)
    };
    // Calibrate: double until a batch takes a quarter of the target.
    let mut iters = 1usize;
    let mut t = timed(iters)?;
    while t < plan.batch_time / 4 && iters < max_iters {
        iters = (iters * 2).min(max_iters);
        t = timed(iters)?;
    }
    let scale = plan.batch_time.as_secs_f64() / t.as_secs_f64().max(1e-9);
    let iters = ((iters as f64 * scale) as usize).clamp(1, max_iters);
    let mut per_op = Vec::with_capacity(plan.batches);
    for _ in 0..plan.batches.max(1) {
        let t = timed(iters)?;
        per_op.push(t.as_secs_f64() * 1e9 / iters as f64);
    }
    per_op.sort_by(f64::total_cmp);
    let mid = per_op.get(per_op.len() / 2).copied().unwrap_or(f64::NAN);
    Ok(Stat {
        ns: mid,
        min: per_op.first().copied().unwrap_or(f64::NAN),
        max: per_op.last().copied().unwrap_or(f64::NAN),
        batches: per_op.len(),
        iters,
    })
}

/// payword's counts per operation over `iters` operations of a fresh state.
fn count<S>(
    iters: usize,
    setup: impl FnOnce() -> Result<S, LabError>,
    mut op: impl FnMut(&mut S, usize),
) -> Result<(f64, f64, f64), LabError> {
    let mut s = setup()?;
    let ((), t) = payword::cost::measure(|| {
        for i in 0..iters {
            op(&mut s, i);
        }
    });
    let n = iters.max(1) as f64;
    Ok((
        t.hashes.total() as f64 / n,
        (t.signatures_made + t.signatures_verified) as f64 / n,
        t.macs as f64 / n,
    ))
}

const NOW: u64 = 1_000_000;
const CUSTOMER: CustomerId = CustomerId::from_bytes([5; 16]);
const VENDOR: VendorId = VendorId::from_bytes([4; 32]);
const BROKER: BrokerId = BrokerId::from_bytes([3; 32]);

struct Keys(LongTermKey, LongTermKey);

impl BrokerKeys for Keys {
    fn customer_key(&self, id: &CustomerId) -> Option<&LongTermKey> {
        (*id == CUSTOMER).then_some(&self.0)
    }
    fn vendor_key(&self, id: &VendorId) -> Option<&LongTermKey> {
        (*id == VENDOR).then_some(&self.1)
    }
}

/// Maps an error of the step `what` to a [`LabError::Measure`].
fn m<E: std::fmt::Display>(what: &str) -> impl Fn(E) -> LabError + '_ {
    move |e| LabError::measure(what, e)
}

/// payword's vendor-side fixtures: a chain, a signed session and a
/// symmetric session over it.
struct Fixture {
    params: ChainParams,
    anchor: payword::Anchor,
    paywords: Vec<Payword>,
    cert: Certificate,
    commitment: Commitment,
    broker_key: payword::PublicKey,
    payments: Vec<Payment>,
    keys: Keys,
    ticket: payword::symmetric::Ticket,
    request: TicketRequest,
    sym_payments: Vec<SymmetricPayment>,
    request_id: RequestId,
}

fn fixture(plan: &Plan) -> Result<Fixture, LabError> {
    let params = ChainParams::new(
        HashAlg::Sha256,
        ChainId::from_bytes([6; 16]),
        plan.chain_len.into(),
    )
    .map_err(m("chain parameters"))?;
    let wallet =
        StoreAll::<Sha256>::new(&ChainSeed::from_bytes([7; 32]), params).map_err(m("chain"))?;
    let anchor = wallet.anchor();
    let paywords: Vec<Payword> = wallet.collect();

    let mut rng = peers::rng(10);
    let mut key = || {
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut b);
        SigningKey::from_bytes(&b)
    };
    let broker = key();
    let customer = key();
    let cert = Certificate::issue(
        CertificateFields {
            broker: BROKER,
            serial: 1,
            customer: CUSTOMER,
            customer_key: customer.public_key(),
            credit_limit: u64::MAX / 4,
            valid_from: 0,
            expires: NOW * 2,
        },
        &broker,
    )
    .map_err(m("certificate"))?;
    let commitment = Commitment::sign(
        CommitmentFields {
            certificate: cert.digest(),
            vendor: VENDOR,
            unit_value: 1,
            valid_from: 0,
            expires: NOW * 2,
            chain: CommittedChain::Single { params, anchor },
            renewal: None,
        },
        &customer,
    )
    .map_err(m("commitment"))?;
    let digest = commitment.digest();
    let payments = paywords
        .iter()
        .map(|p| Payment::new(digest, PaymentBody::Single(*p)))
        .collect();

    let mut rng = peers::rng(11);
    let keys = Keys(LongTermKey::random(&mut rng), LongTermKey::random(&mut rng));
    let sym = SymmetricBroker::new(BROKER);
    let request = TicketRequest::new(
        RequestFields {
            broker: BROKER,
            customer: CUSTOMER,
            certificate: 1,
            vendor: VENDOR,
            nonce: RequestNonce::random(&mut rng),
            params,
            anchor,
            unit_value: 1,
            valid_from: NOW - 10,
            expires: NOW + 3_600,
        },
        &keys.0,
    )
    .map_err(m("ticket request"))?;
    let ticket = sym
        .issue(&request, &keys, NOW, &mut rng)
        .map_err(m("ticket"))?;
    let cs = CustomerSession::open(&request, &keys.0, &ticket.customer, NOW, 0)
        .map_err(m("customer session"))?;
    let request_id = RequestId::from_bytes([9; 16]);
    let sym_payments = paywords.iter().map(|p| cs.pay(request_id, *p)).collect();
    Ok(Fixture {
        params,
        anchor,
        paywords,
        cert,
        commitment,
        broker_key: broker.public_key(),
        payments,
        keys,
        ticket,
        request,
        sym_payments,
        request_id,
    })
}

/// What a row is, besides its figures.
struct Row {
    id: &'static str,
    party: Party,
    system: &'static str,
    what: &'static str,
    /// Bytes of the payment message, where the operation handles one.
    bytes: Option<usize>,
}

/// How a row's counts are obtained.
enum Counts {
    /// With [`payword::cost::measure`] over this many operations of a fresh
    /// state.
    Measured(usize),
    /// Known by construction: hashes, signatures and MACs per operation, and
    /// how they are known.
    Known((f64, f64, f64), &'static str),
}

/// The rows timed so far, with the plan and the progress bar.
struct Timer<'a> {
    plan: &'a Plan,
    progress: &'a Progress,
    rows: Vec<Timing>,
}

impl Timer<'_> {
    /// Times `op` with [`bench`] (`max_iters` bounds a batch), obtains the
    /// counts as `counts` says, adds the row and marks the step done.
    /// Returns the row, to be scaled with [`Timing::per`].
    fn time<S>(
        &mut self,
        row: Row,
        counts: Counts,
        max_iters: usize,
        mut setup: impl FnMut() -> Result<S, LabError>,
        mut op: impl FnMut(&mut S, usize),
    ) -> Result<&mut Timing, LabError> {
        let st = bench(self.plan, max_iters, &mut setup, &mut op)?;
        let ((hashes, signatures, macs), counted_by) = match counts {
            Counts::Measured(iters) => {
                (count(iters, &mut setup, &mut op)?, "payword::cost::measure")
            }
            Counts::Known(counts, how) => (counts, how),
        };
        self.progress.done();
        self.rows.push(Timing {
            id: row.id,
            party: row.party,
            system: row.system,
            what: row.what,
            ns: st.ns,
            ns_min: st.min,
            ns_max: st.max,
            batches: st.batches,
            iters: st.iters,
            hashes: Some(hashes),
            signatures: Some(signatures),
            macs: Some(macs),
            bytes: row.bytes,
            counted_by,
        });
        self.rows
            .last_mut()
            .ok_or_else(|| LabError::Measure(format!("{}: not recorded", row.id)))
    }
}

impl Timing {
    /// Reports one timed operation as `k` operations: its times and counts
    /// divided by `k`.
    fn per(&mut self, k: f64) {
        for x in [&mut self.ns, &mut self.ns_min, &mut self.ns_max] {
            *x /= k;
        }
        for x in [&mut self.hashes, &mut self.signatures, &mut self.macs]
            .into_iter()
            .flatten()
        {
            *x /= k;
        }
    }
}

/// The number of timed operations [`run`] performs (for progress bars).
pub const OPERATIONS: u64 = 14;

/// Times every operation: payword's vendor and customer per payment, the
/// peers' (Ed25519 voucher, hbs-lms LMS, tape-sha256), and a chain step of
/// each kernel.
///
/// Needs a large stack (hbs-lms; see [`peers::lms_fixture`]).
///
/// # Errors
///
/// [`LabError`] if a fixture cannot be built (a bug).
#[allow(clippy::too_many_lines)]
pub fn run(plan: &Plan, lms: &LmsProfile, progress: &Progress) -> Result<Vec<Timing>, LabError> {
    let fx = fixture(plan)?;
    let len = fx.paywords.len();
    let mut t = Timer {
        plan,
        progress,
        rows: Vec::new(),
    };
    let payment_len = fx.payments.first().map(|p| p.to_bytes().len());
    let sym_len = fx.sym_payments.first().map(|p| p.to_bytes().len());

    // --- vendor: payword -------------------------------------------------
    progress.start("time: payword Receiver::accept");
    t.time(
        Row {
            id: "receiver_accept",
            party: Party::Vendor,
            system: "payword",
            what: "Receiver::<Sha256>::accept of a 1-unit payword",
            bytes: payment_len,
        },
        Counts::Measured(len),
        len,
        || Receiver::<Sha256>::new(fx.params, fx.anchor).map_err(m("receiver")),
        |r, i| {
            if let Some(p) = fx.paywords.get(i) {
                let _ = black_box(r.accept(black_box(p)));
            }
        },
    )?;

    progress.start("time: payword Session::pay");
    t.time(
        Row {
            id: "session_pay",
            party: Party::Vendor,
            system: "payword",
            what: "Session::pay of a 1-unit Payment (signed commitment)",
            bytes: payment_len,
        },
        Counts::Measured(len),
        len,
        || {
            Session::open(VENDOR, &fx.broker_key, fx.cert, fx.commitment, NOW, 0)
                .map_err(m("session"))
        },
        |s, i| {
            if let Some(p) = fx.payments.get(i) {
                let _ = black_box(s.pay(black_box(p), NOW));
            }
        },
    )?;

    progress.start("time: payword SymmetricSession::pay");
    t.time(
        Row {
            id: "symmetric_pay",
            party: Party::Vendor,
            system: "payword symmetric",
            what: "SymmetricSession::pay of a 1-unit payment (HMAC and one step)",
            bytes: sym_len,
        },
        Counts::Measured(len),
        len,
        || {
            let mut cache = ReplayCache::<64>::new();
            SymmetricSession::open(
                VENDOR,
                BROKER,
                &fx.keys.1,
                &fx.ticket.vendor,
                &mut cache,
                NOW,
                0,
            )
            .map_err(m("symmetric session"))
        },
        |s, i| {
            if let Some(p) = fx.sym_payments.get(i) {
                let _ = black_box(s.pay(black_box(p), &fx.request_id, NOW));
            }
        },
    )?;

    progress.start("time: payword Receiver::accept_batch");
    let lanes = payword::BATCH_LANES;
    let per_lane = (len / lanes).max(1);
    let batch_chains: Vec<(ChainParams, payword::Anchor, Vec<Payword>)> = (0..lanes)
        .map(|j| {
            let params = ChainParams::new(
                HashAlg::Sha256,
                ChainId::from_bytes([j as u8; 16]),
                per_lane as u64,
            )
            .map_err(m("batch chain"))?;
            let w = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([j as u8 ^ 0x5a; 32]), params)
                .map_err(m("batch chain"))?;
            let a = w.anchor();
            Ok((params, a, w.collect()))
        })
        .collect::<Result<_, LabError>>()?;
    let mut results = vec![Ok(0); lanes];
    t.time(
        Row {
            id: "receiver_accept_batch",
            party: Party::Vendor,
            system: "payword batch",
            what: "Receiver::accept_batch of 64 customers' 1-unit paywords, per payment",
            bytes: payment_len,
        },
        Counts::Measured(per_lane),
        per_lane,
        || {
            batch_chains
                .iter()
                .map(|(p, a, _)| Receiver::<Sha256>::new(*p, *a).map_err(m("receiver")))
                .collect::<Result<Vec<_>, _>>()
        },
        |rs, i| {
            let mut batch: Vec<(&mut Receiver<Sha256>, Payword)> = rs
                .iter_mut()
                .zip(&batch_chains)
                .filter_map(|(r, (_, _, ws))| ws.get(i).map(|p| (r, *p)))
                .collect();
            black_box(Receiver::accept_batch(&mut batch, &mut results));
        },
    )?
    .per(lanes as f64);

    // --- vendor: peers ------------------------------------------------------
    progress.start("time: Ed25519 voucher verify");
    let mut rng = peers::rng(12);
    let mut b = [0u8; 32];
    rng.fill_bytes(&mut b);
    let customer = SigningKey::from_bytes(&b);
    let mut channel = [0u8; 32];
    rng.fill_bytes(&mut channel);
    let vouchers: Vec<Voucher> = (1..=(len.min(4096) as u64))
        .map(|i| Voucher::sign(&customer, channel, i, i))
        .collect();
    let public = customer.verifying_key();
    t.time(
        Row {
            id: "voucher_verify",
            party: Party::Vendor,
            system: "voucher",
            what: "accept a signed voucher: checks and one Ed25519 verify_strict",
            bytes: Some(peers::VOUCHER_LEN),
        },
        Counts::Known((0.0, 1.0, 0.0), "by construction (one verification)"),
        vouchers.len(),
        || Ok(VoucherChannel::new(public, channel, u64::MAX)),
        |c, i| {
            if let Some(v) = vouchers.get(i) {
                let _ = black_box(c.accept(black_box(v)));
            }
        },
    )?;

    progress.start("time: LMS verify (hbs-lms)");
    let (lms_fx, _, _) = peers::lms_fixture::<Sha256_256>(lms.sample)?;
    let nsig = lms_fx.signatures.len().max(1);
    t.time(
        Row {
            id: "lms_verify",
            party: Party::Vendor,
            system: "lms",
            what: "hbs-lms verify of one LMS H10/W4 signature",
            bytes: Some(peers::VOUCHER_BODY_LEN + lms.signature_len),
        },
        Counts::Known(
            (lms.verify_calls, 1.0, 0.0),
            "CountingLmsHash (sample mean)",
        ),
        usize::MAX,
        || Ok(()),
        |(), i| {
            let k = i % nsig;
            if let (Some(msg), Some(sig)) = (lms_fx.messages.get(k), lms_fx.signatures.get(k)) {
                black_box(peers::lms_verify::<Sha256_256>(
                    black_box(msg),
                    black_box(sig),
                    &lms_fx.public_key,
                ));
            }
        },
    )?;

    progress.start("time: tape-sha256 one step");
    // Independent words, as a vendor's successive payments are (and as
    // `receiver_accept` hashes them): one link each.
    let words: Vec<[u8; 32]> = fx.paywords.iter().map(|p| p.word().to_bytes()).collect();
    t.time(
        Row {
            id: "tape_step_1",
            party: Party::Vendor,
            system: "tape-sha256",
            what: "tape_sha256::hash_chain(word, 1) of distinct words: one link, as a 1-unit check",
            bytes: Some(32),
        },
        Counts::Known((1.0, 0.0, 0.0), "by construction (one link)"),
        words.len(),
        || Ok(()),
        |(), i| {
            if let Some(w) = words.get(i) {
                black_box(tape_sha256::hash_chain(black_box(w), 1));
            }
        },
    )?;

    // --- customer -----------------------------------------------------------
    progress.start("time: payword Pebbler::next_payword");
    t.time(
        Row {
            id: "pebbler_next",
            party: Party::Customer,
            system: "payword",
            what: "Pebbler::next_payword (optimal pebbling), amortized over the chain",
            bytes: payment_len,
        },
        Counts::Measured(len),
        len,
        || Pebbler::<Sha256>::new(&ChainSeed::from_bytes([7; 32]), fx.params).map_err(m("pebbler")),
        |p, _| {
            black_box(p.next_payword());
        },
    )?;

    progress.start("time: payword symmetric customer pay");
    let cs = CustomerSession::open(&fx.request, &fx.keys.0, &fx.ticket.customer, NOW, 0)
        .map_err(m("customer session"))?;
    t.time(
        Row {
            id: "symmetric_customer_pay",
            party: Party::Customer,
            system: "payword symmetric",
            what: "CustomerSession::pay: receipt and MAC of a payword",
            bytes: sym_len,
        },
        Counts::Measured(len),
        len,
        || Ok(()),
        |(), i| {
            if let Some(p) = fx.paywords.get(i) {
                black_box(cs.pay(fx.request_id, *p));
            }
        },
    )?;

    progress.start("time: Ed25519 voucher sign");
    t.time(
        Row {
            id: "voucher_sign",
            party: Party::Customer,
            system: "voucher",
            what: "sign one voucher (Ed25519)",
            bytes: Some(peers::VOUCHER_LEN),
        },
        Counts::Known((0.0, 1.0, 0.0), "by construction (one signature)"),
        usize::MAX,
        || Ok(()),
        |(), i| {
            let n = i as u64 + 1;
            black_box(Voucher::sign(&customer, channel, n, n));
        },
    )?;

    progress.start("time: LMS sign (hbs-lms)");
    let leaves = 1usize << peers::LMS_HEIGHT;
    let msgs: Vec<[u8; peers::VOUCHER_BODY_LEN]> = (1..=leaves as u64)
        .map(|i| {
            Voucher {
                channel,
                amount: i,
                nonce: i,
                signature: [0; 64],
            }
            .body()
        })
        .collect();
    t.time(
        Row {
            id: "lms_sign",
            party: Party::Customer,
            system: "lms",
            what: "hbs-lms sign with cached tree (aux data), one leaf",
            bytes: Some(peers::VOUCHER_BODY_LEN + lms.signature_len),
        },
        Counts::Known((lms.sign_calls, 1.0, 0.0), "CountingLmsHash (sample mean)"),
        leaves,
        || Ok((lms_fx.fresh_key.clone(), lms_fx.aux.clone())),
        |(sk, aux), i| {
            if let Some(msg) = msgs.get(i) {
                let mut slice: &mut [u8] = &mut aux[..];
                let _ = black_box(sk.try_sign_with_aux(black_box(msg), Some(&mut slice)));
            }
        },
    )?;

    // --- chain steps ----------------------------------------------------------
    // The walks time and count 1,000 steps or links at a time.
    progress.start("time: chain walk, payword");
    let id = ChainId::from_bytes([1; 16]);
    let word = || Ok(Word::from_bytes([7; 32]));
    t.time(
        Row {
            id: "payword_walk_step",
            party: Party::Chain,
            system: "payword",
            what: "Sha256::chain_walk of 1,000 tweaked steps, per step",
            bytes: None,
        },
        Counts::Measured(1),
        usize::MAX,
        word,
        |w, _| {
            *w = Sha256::chain_walk(&id, 1000, black_box(w), 0);
        },
    )?
    .per(1000.0);

    progress.start("time: chain walk, tape-sha256");
    t.time(
        Row {
            id: "tape_walk_step",
            party: Party::Chain,
            system: "tape-sha256",
            what: "tape_sha256::hash_chain of 1,000 links, per link",
            bytes: None,
        },
        Counts::Known((1000.0, 0.0, 0.0), "by construction (one link)"),
        usize::MAX,
        || Ok([7u8; 32]),
        |x, _| {
            *x = tape_sha256::hash_chain(black_box(x), 1000);
        },
    )?
    .per(1000.0);

    progress.start("time: payword single chain step");
    t.time(
        Row {
            id: "payword_step_1",
            party: Party::Chain,
            system: "payword",
            what: "Sha256::chain_step: one tweaked step",
            bytes: None,
        },
        Counts::Measured(1000),
        usize::MAX,
        word,
        |w, i| {
            *w = Sha256::chain_step(&id, (i as u32 % 1000) + 1, black_box(w));
        },
    )?;

    Ok(t.rows)
}

/// The timing with identifier `id`.
#[must_use]
pub fn find<'a>(timings: &'a [Timing], id: &str) -> Option<&'a Timing> {
    timings.iter().find(|t| t.id == id)
}
