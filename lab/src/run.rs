//! Runs the real protocol of a scheme on a workload with every cost counted.
//!
//! Every party's work runs under [`payword::cost::measure`] (the crate is
//! built with the feature `count`, so hashes, signatures and MACs are
//! counted at their source, inside sessions and the broker too). Bytes are
//! the canonical encodings of the messages actually sent. Two columns are
//! structural rather than counted: round trips (each request that waits for
//! an answer) and, for vendors and the broker, words stored (what their
//! sessions and debt records keep, from `docs/COSTS.md`); the customer's
//! words stored are read from its wallets (`stored_words`).
//!
//! The customer's wallets are [`Pebbler`]s (optimal traversal), payments go
//! to the vendors one after another, each vendor redeems once at the end.

use core::fmt;

use ed25519_dalek::SigningKey;
use payword::cost::measure;
use payword::cost::model::{Costs, MAX_VENDORS, PartyCost, Scheme, Workload, purse_denominations};
use payword::domain::{
    DeviceCommitment, DeviceCommitmentFields, DeviceSession, DomainCommitment,
    DomainCommitmentFields,
};
use payword::grant::{
    GrantSession, RangeGrant, RangeGrantFields, SharedCommitment, SharedCommitmentFields,
};
use payword::lmots::LmotsPublicKey;
use payword::redeem::{Claim as _, Redeemed as _, VendorSession};
use payword::renew::RenewingWallet;
use payword::reservation::ReservationTarget;
use payword::symmetric::{
    BrokerKeys, CustomerSession, LongTermKey, ReplayCache, RequestFields, RequestId, RequestNonce,
    SymmetricBroker, SymmetricSession, TicketRequest,
};
use payword::tree::{Leaf, LeafSession, MerkleTree, MultiCommitment};
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CommittedChain, CustomerId, Encode, HashAlg, MemoryStore, MessageSigner,
    Payment, PaymentBody, Payword, Pebbler, PublicKey, Purse, PurseParams, Session, Sha256,
    Traversal, VendorId, Word,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// Why a run failed: the step and what the protocol said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunError(pub String);

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RunError {}

fn fail<E: fmt::Display>(step: &'static str) -> impl Fn(E) -> RunError {
    move |e| RunError(format!("{step}: {e}"))
}

fn missing(step: &'static str) -> RunError {
    RunError(format!("{step}: nothing returned"))
}

const NOW: u64 = 1_000;
const EXPIRES: u64 = 1 << 40;
const SKEW: u64 = 60;
const BROKER_ID: BrokerId = BrokerId::from_bytes([0xb1; 32]);
const CUSTOMER_ID: CustomerId = CustomerId::from_bytes([0xcc; 16]);

/// Adds what `f` computed to `party`.
fn on<R>(party: &mut PartyCost, f: impl FnOnce() -> R) -> R {
    let (r, t) = measure(f);
    party.hashes += t.hashes.total();
    party.signatures_made += t.signatures_made;
    party.signatures_verified += t.signatures_verified;
    party.macs += t.macs;
    r
}

/// `party` sends one message of `bytes` bytes.
fn send(party: &mut PartyCost, bytes: usize) {
    party.messages_sent += 1;
    party.bytes_sent += bytes as u64;
}

fn vendor_id(j: u32) -> VendorId {
    let mut b = [0x70; 32];
    b[..4].copy_from_slice(&j.to_be_bytes());
    VendorId::from_bytes(b)
}

fn chain_id(tag: u8, j: u32) -> ChainId {
    let mut b = [tag; 16];
    b[..4].copy_from_slice(&j.to_be_bytes());
    ChainId::from_bytes(b)
}

fn seed(tag: u8, j: u32) -> ChainSeed {
    let mut b = [tag; 32];
    b[..4].copy_from_slice(&j.to_be_bytes());
    ChainSeed::from_bytes(b)
}

fn params(j: u32, n: u32) -> Result<ChainParams, RunError> {
    ChainParams::new(HashAlg::Sha256, chain_id(0x11, j), n.into()).map_err(fail("chain parameters"))
}

/// The keys and the broker every public-key scheme starts from.
struct World {
    broker_key: SigningKey,
    customer_key: SigningKey,
    broker: Broker,
    certificate: Certificate,
    costs: Costs,
}

impl World {
    /// The broker certifies the customer (one round trip for the customer).
    fn new() -> Result<Self, RunError> {
        let broker_key = SigningKey::from_bytes(&[0xb0; 32]);
        let customer_key = SigningKey::from_bytes(&[0xc0; 32]);
        let mut costs = Costs::default();
        let certificate = on(&mut costs.broker, || {
            Certificate::issue(
                CertificateFields {
                    broker: BROKER_ID,
                    serial: 1,
                    customer: CUSTOMER_ID,
                    customer_key: customer_key.public_key(),
                    credit_limit: u64::MAX >> 1,
                    valid_from: 0,
                    expires: EXPIRES,
                },
                &broker_key,
            )
        })
        .map_err(fail("certificate"))?;
        send(&mut costs.broker, certificate.to_bytes().len());
        costs.customer.round_trips += 1;
        let broker = Broker::new(BROKER_ID, broker_key.public_key(), MemoryStore::new(), SKEW);
        Ok(Self {
            broker_key,
            customer_key,
            broker,
            certificate,
            costs,
        })
    }

    /// The customer signs a commitment to `chain` for `vendor`.
    fn commitment(
        &mut self,
        vendor: VendorId,
        chain: CommittedChain,
        renewal: Option<LmotsPublicKey>,
    ) -> Result<Commitment, RunError> {
        let (cert, key) = (self.certificate.digest(), &self.customer_key);
        on(&mut self.costs.customer, || {
            Commitment::sign(
                CommitmentFields {
                    certificate: cert,
                    vendor,
                    unit_value: 1,
                    valid_from: 0,
                    expires: EXPIRES,
                    chain,
                    renewal,
                },
                key,
            )
        })
        .map_err(fail("commitment"))
    }

    /// The customer grants `vendor` the units `from..to` of the shared
    /// chain of `shared`, the first of them after the word `start`.
    fn grant(
        &mut self,
        shared: &SharedCommitment,
        vendor: VendorId,
        (from, to): (u32, u32),
        start: Word,
    ) -> Result<RangeGrant, RunError> {
        let key = &self.customer_key;
        on(&mut self.costs.customer, || {
            RangeGrant::sign(
                RangeGrantFields {
                    commitment: shared.digest(),
                    vendor,
                    from,
                    to,
                    start,
                },
                key,
            )
        })
        .map_err(fail("grant"))
    }

    /// The customer's `device` commits to `chain` for `vendor` under the
    /// domain commitment `dom` (the device's work counts as the customer's).
    fn device_commitment(
        &mut self,
        dom: &DomainCommitment,
        device: &SigningKey,
        vendor: VendorId,
        chain: CommittedChain,
    ) -> Result<DeviceCommitment, RunError> {
        on(&mut self.costs.customer, || {
            DeviceCommitment::sign(
                DeviceCommitmentFields {
                    domain: dom.digest(),
                    device: 0,
                    vendor,
                    unit_value: 1,
                    valid_from: 0,
                    expires: EXPIRES,
                    chain,
                },
                device,
            )
        })
        .map_err(fail("device commitment"))
    }

    /// The customer sends the certificate and `object` bytes to a vendor,
    /// which opens its session with `open` (given the broker's key and the
    /// certificate) and keeps `words` words for it; `step` names a refusal.
    fn open_session<S, E: fmt::Display>(
        &mut self,
        object: usize,
        words: u64,
        step: &'static str,
        open: impl FnOnce(&PublicKey, Certificate) -> Result<S, E>,
    ) -> Result<S, RunError> {
        send(
            &mut self.costs.customer,
            self.certificate.to_bytes().len() + object,
        );
        let (bk, cert) = (self.broker_key.public_key(), self.certificate);
        let session = on(&mut self.costs.vendor, || open(&bk, cert)).map_err(fail(step))?;
        self.costs.vendor.words_stored += words;
        Ok(session)
    }

    /// `vendor` opens a plain session on `commitment` and keeps `words`
    /// words for it.
    fn open_plain(
        &mut self,
        vendor: VendorId,
        commitment: Commitment,
        words: u64,
    ) -> Result<Session, RunError> {
        self.open_session(commitment.to_bytes().len(), words, "session", |bk, cert| {
            Session::open(vendor, bk, cert, commitment, NOW, SKEW)
        })
    }

    /// The vendor sends a claim of `bytes` and waits for the broker, which
    /// redeems it with `redeem` (returning the units credited and the words
    /// it keeps); `want` units were paid.
    fn redeem(
        &mut self,
        bytes: usize,
        want: u32,
        redeem: impl FnOnce(&mut Broker) -> Result<(u64, u64), RunError>,
    ) -> Result<(), RunError> {
        send(&mut self.costs.vendor, bytes);
        self.costs.vendor.round_trips += 1;
        let broker = &mut self.broker;
        let (units, words) = on(&mut self.costs.broker, || redeem(broker))?;
        self.costs.broker.words_stored += words;
        check_units(units, want)
    }

    /// The customer pays `vendor` `w.payments` payments of `w.units` from
    /// `wallet`, naming the session's id, and the vendor accepts them in
    /// `session`; then the vendor claims them all and the broker, which
    /// keeps `words` words for the claim, redeems it. Returns the last
    /// payment. Any scheme's session, through [`VendorSession`] and
    /// [`Claim`].
    fn serve<S: VendorSession>(
        &mut self,
        w: &Workload,
        vendor: VendorId,
        session: &mut S,
        words: u64,
        wallet: &mut impl Spend,
    ) -> Result<Option<Payment>, RunError> {
        let digest = *session.id();
        let mut last = None;
        for _ in 0..w.payments {
            let body = on(&mut self.costs.customer, || wallet.spend(w.units))?;
            let payment = Payment::new(digest, body);
            send(&mut self.costs.customer, payment.to_bytes().len());
            let paid =
                on(&mut self.costs.vendor, || session.pay(&payment, NOW)).map_err(fail("pay"))?;
            check_paid(paid, w.units)?;
            last = Some(payment);
        }
        let claim = session.claim().ok_or_else(|| missing("claim"))?;
        self.redeem(claim.to_bytes().len(), units_each(w)?, |b| {
            claim
                .redeem_with(b, &vendor, NOW)
                .map(|r| (r.units(), words))
                .map_err(fail("redeem"))
        })?;
        Ok(last)
    }
}

/// The most hashes a run may have to compute for its chains, or units it
/// may have to pay: about a minute of work (a counted run refuses more
/// before starting).
pub const MAX_RUN_HASHES: u64 = 1 << 30;

/// Bounds the work of a run before any of it: the chains built (`n` hashes
/// each, `m` per vendor for a purse) and the units paid, each at most
/// [`MAX_RUN_HASHES`]; at most `MAX_DEVICES` device keys.
///
/// # Errors
///
/// [`RunError`] naming the bound exceeded.
pub fn check_size(w: &Workload) -> Result<(), RunError> {
    let k = u64::from(w.vendors);
    let chains = k * u64::from(purse_denominations(w.units));
    let paid = k * u64::from(w.payments) * u64::from(w.units);
    if chains * u64::from(w.chain_len) > MAX_RUN_HASHES || paid > MAX_RUN_HASHES {
        return Err(RunError(format!(
            "workload too large to run: more than {MAX_RUN_HASHES} hashes"
        )));
    }
    if w.devices as usize > payword::domain::MAX_DEVICES {
        return Err(RunError(format!(
            "a domain holds at most {} devices",
            payword::domain::MAX_DEVICES
        )));
    }
    Ok(())
}

/// Runs `scheme` on `workload` for real (keys, commitments, payments,
/// redemption) and returns what each party computed and sent, as counted.
///
/// # Errors
///
/// [`RunError`] if the workload is empty or too large for the scheme, or the
/// protocol refuses a step (which the exactness tests treat as a failure).
///
/// # Examples
///
/// ```
/// use payword::cost::model::{Scheme, Workload, model};
/// use payword_lab::run::run;
///
/// let w = Workload { vendors: 2, chain_len: 64, payments: 5, units: 3, devices: 1 };
/// let measured = run(Scheme::Plain, &w)?;
/// assert_eq!(measured.vendor.hashes, 2 * 5 * 3);
/// assert_eq!(Ok(measured), model(Scheme::Plain, &w));
/// # Ok::<(), payword_lab::run::RunError>(())
/// ```
pub fn run(scheme: Scheme, workload: &Workload) -> Result<Costs, RunError> {
    let w = *workload;
    if w.vendors == 0
        || w.vendors > MAX_VENDORS
        || w.payments == 0
        || w.units == 0
        || w.chain_len == 0
        || w.devices == 0
    {
        return Err(RunError("empty or oversized workload".into()));
    }
    check_size(&w)?;
    match scheme {
        Scheme::Plain => plain(&w, false),
        Scheme::Reservation => plain(&w, true),
        Scheme::Purse => purse(&w),
        Scheme::Tree => tree(&w),
        Scheme::Grants => grants(&w),
        Scheme::Domain => domain(&w),
        Scheme::Renewal => renewal(&w),
        Scheme::Symmetric => symmetric(&w),
        _ => Err(RunError(format!("no runner for {scheme}"))),
    }
}

/// Units each vendor is paid.
fn units_each(w: &Workload) -> Result<u32, RunError> {
    w.units_per_vendor().ok_or_else(|| missing("units"))
}

/// The customer's wallet for chain `j`.
fn wallet(costs: &mut Costs, j: u32, n: u32) -> Result<Pebbler<Sha256>, RunError> {
    let p = params(j, n)?;
    let wallet = on(&mut costs.customer, || {
        Pebbler::<Sha256>::new(&seed(0x5e, j), p)
    })
    .map_err(fail("wallet"))?;
    costs.customer.words_stored += wallet.stored_words() as u64;
    Ok(wallet)
}

/// The single chain `wallet` pays from, as a commitment names it.
fn single(wallet: &Pebbler<Sha256>) -> CommittedChain {
    CommittedChain::Single {
        params: *wallet.params(),
        anchor: wallet.anchor(),
    }
}

/// What the customer pays from.
trait Spend {
    /// The body of the next payment of `units`.
    fn spend(&mut self, units: u32) -> Result<PaymentBody, RunError>;
}

impl Spend for Pebbler<Sha256> {
    fn spend(&mut self, units: u32) -> Result<PaymentBody, RunError> {
        advance(self, units).map(PaymentBody::Single)
    }
}

impl Spend for Purse<Sha256> {
    fn spend(&mut self, units: u32) -> Result<PaymentBody, RunError> {
        self.pay(units.into())
            .map(PaymentBody::Purse)
            .map_err(fail("purse pay"))
    }
}

/// The next payword of `units` from `wallet`.
fn advance(wallet: &mut Pebbler<Sha256>, units: u32) -> Result<Payword, RunError> {
    wallet.advance(units).ok_or_else(|| missing("advance"))
}

fn check_paid(paid: u64, units: u32) -> Result<(), RunError> {
    if paid == u64::from(units) {
        Ok(())
    } else {
        Err(RunError(format!("paid {paid}, expected {units}")))
    }
}

fn check_units(got: u64, want: u32) -> Result<(), RunError> {
    if got == u64::from(want) {
        Ok(())
    } else {
        Err(RunError(format!("redeemed {got} units, paid {want}")))
    }
}

fn plain(w: &Workload, reserve: bool) -> Result<Costs, RunError> {
    let mut world = World::new()?;
    let per_vendor = units_each(w)?;
    for j in 0..w.vendors {
        let vendor = vendor_id(j);
        let mut wallet = wallet(&mut world.costs, j, w.chain_len)?;
        let commitment = world.commitment(vendor, single(&wallet), None)?;
        let mut session = world.open_plain(vendor, commitment, 2)?;
        if reserve {
            // The vendor asks the broker to lock the amount before serving.
            let (bk, cert) = (world.broker_key.public_key(), world.certificate);
            send(
                &mut world.costs.vendor,
                cert.to_bytes().len() + commitment.to_bytes().len(),
            );
            world.costs.vendor.round_trips += 1;
            let (broker, key) = (&mut world.broker, &world.broker_key);
            let r = on(&mut world.costs.broker, || {
                broker.reserve(
                    &cert,
                    ReservationTarget::Commitment(&commitment),
                    per_vendor.into(),
                    NOW,
                    EXPIRES,
                    key,
                )
            })
            .map_err(fail("reserve"))?;
            send(&mut world.costs.broker, r.to_bytes().len());
            on(&mut world.costs.vendor, || r.verify(&bk)).map_err(fail("reservation"))?;
        }
        world.serve(w, vendor, &mut session, 1, &mut wallet)?;
    }
    Ok(world.costs)
}

fn purse(w: &Workload) -> Result<Costs, RunError> {
    let mut world = World::new()?;
    let m = purse_denominations(w.units);
    for j in 0..w.vendors {
        let vendor = vendor_id(j);
        let params = PurseParams::new(
            HashAlg::Sha256,
            chain_id(0x22, j),
            10,
            m,
            w.chain_len.into(),
        )
        .map_err(fail("purse parameters"))?;
        let mut purse = on(&mut world.costs.customer, || {
            Purse::<Sha256>::new(&seed(0x5f, j), params)
        })
        .map_err(fail("purse"))?;
        world.costs.customer.words_stored +=
            u64::from(m) * u64::from(ceil_log2(w.chain_len).max(1));
        let chain = CommittedChain::Purse {
            params,
            anchors: purse.anchors(),
        };
        let commitment = world.commitment(vendor, chain, None)?;
        let mut session = world.open_plain(vendor, commitment, 2 * u64::from(m))?;
        world.serve(w, vendor, &mut session, u64::from(m), &mut purse)?;
    }
    Ok(world.costs)
}

/// `⌈log2 n⌉`.
fn ceil_log2(n: u32) -> u32 {
    u32::BITS - n.saturating_sub(1).leading_zeros()
}

fn tree(w: &Workload) -> Result<Costs, RunError> {
    let mut world = World::new()?;
    let per_vendor = units_each(w)?;
    let mut wallets = Vec::new();
    let mut leaves = Vec::new();
    for j in 0..w.vendors {
        let wallet = wallet(&mut world.costs, j, w.chain_len)?;
        leaves.push(Leaf {
            vendor: vendor_id(j),
            unit_value: 1,
            cap: per_vendor.into(),
            chain: single(&wallet),
        });
        wallets.push(wallet);
    }
    let cert = world.certificate;
    let tree = on(&mut world.costs.customer, || {
        MerkleTree::build(cert.digest(), chain_id(0xee, 0), leaves)
    })
    .map_err(fail("tree"))?;
    let key = &world.customer_key;
    let root = on(&mut world.costs.customer, || {
        MultiCommitment::sign(tree.fields(0, EXPIRES), key)
    })
    .map_err(fail("root"))?;
    for (j, wallet) in (0..w.vendors).zip(wallets.iter_mut()) {
        let vendor = vendor_id(j);
        let opening = tree.opening(&root, j).ok_or_else(|| missing("opening"))?;
        let (bytes, words) = (opening.to_bytes().len(), 4 + opening.path.len() as u64);
        let mut session = world.open_session(bytes, words, "leaf session", |bk, cert| {
            LeafSession::open(vendor, bk, cert, opening, NOW, SKEW)
        })?;
        world.serve(w, vendor, &mut session, 1, wallet)?;
    }
    Ok(world.costs)
}

fn grants(w: &Workload) -> Result<Costs, RunError> {
    let mut world = World::new()?;
    let per_vendor = units_each(w)?;
    let length = per_vendor
        .checked_mul(w.vendors)
        .ok_or_else(|| missing("shared chain length"))?;
    if length > w.chain_len {
        return Err(RunError(format!(
            "a shared chain of {} cannot pay {length} units",
            w.chain_len
        )));
    }
    let mut wallet = wallet(&mut world.costs, 0, w.chain_len)?;
    let (cert, key) = (world.certificate, &world.customer_key);
    let (params, anchor) = (*wallet.params(), wallet.anchor());
    let shared = on(&mut world.costs.customer, || {
        SharedCommitment::sign(
            SharedCommitmentFields {
                certificate: cert.digest(),
                unit_value: 1,
                valid_from: 0,
                expires: EXPIRES,
                params,
                anchor,
            },
            key,
        )
    })
    .map_err(fail("shared commitment"))?;
    let mut start = anchor.as_word();
    for j in 0..w.vendors {
        let vendor = vendor_id(j);
        let from = j * per_vendor;
        let grant = world.grant(&shared, vendor, (from, from + per_vendor), start)?;
        let bytes = shared.to_bytes().len() + grant.to_bytes().len();
        let mut session = world.open_session(bytes, 3, "grant session", |bk, cert| {
            GrantSession::open(vendor, bk, cert, shared, grant, NOW, SKEW)
        })?;
        let last = world.serve(w, vendor, &mut session, 1, &mut wallet)?;
        if let Some(PaymentBody::Single(p)) = last.as_ref().map(Payment::body) {
            start = *p.word();
        }
    }
    Ok(world.costs)
}

fn domain(w: &Workload) -> Result<Costs, RunError> {
    let mut world = World::new()?;
    let devices: Vec<SigningKey> = (0..w.devices)
        .map(|d| {
            let mut b = [0xd0; 32];
            b[..4].copy_from_slice(&d.to_be_bytes());
            SigningKey::from_bytes(&b)
        })
        .collect();
    let keys: Vec<_> = devices.iter().map(MessageSigner::public_key).collect();
    let fields = DomainCommitmentFields::new(
        world.certificate.digest(),
        chain_id(0xdd, 0),
        u64::MAX >> 1,
        u64::MAX >> 1,
        0,
        EXPIRES,
        &keys,
    )
    .map_err(fail("domain fields"))?;
    let key = &world.customer_key;
    let dom = on(&mut world.costs.customer, || {
        DomainCommitment::sign(fields, key)
    })
    .map_err(fail("domain"))?;
    // The account holder hands the domain commitment to its devices.
    send(&mut world.costs.customer, dom.to_bytes().len());
    let device = devices.first().ok_or_else(|| missing("device"))?;
    for j in 0..w.vendors {
        let vendor = vendor_id(j);
        let mut wallet = wallet(&mut world.costs, j, w.chain_len)?;
        let c = world.device_commitment(&dom, device, vendor, single(&wallet))?;
        let bytes = dom.to_bytes().len() + c.to_bytes().len();
        let mut session = world.open_session(bytes, 2, "device session", |bk, cert| {
            DeviceSession::open(vendor, bk, cert, dom, c, NOW, SKEW)
        })?;
        world.serve(w, vendor, &mut session, 1, &mut wallet)?;
    }
    Ok(world.costs)
}

fn renewal(w: &Workload) -> Result<Costs, RunError> {
    let mut world = World::new()?;
    let per_vendor = units_each(w)?;
    for j in 0..w.vendors {
        let vendor = vendor_id(j);
        let p = params(j, w.chain_len)?;
        let mut wallet = on(&mut world.costs.customer, || {
            RenewingWallet::<Sha256>::new(seed(0x6e, j), p, 0)
        })
        .map_err(fail("renewing wallet"))?;
        world.costs.customer.words_stored += u64::from(ceil_log2(w.chain_len).max(1));
        let (chain, renewal_key) = (wallet.committed_chain(), wallet.renewal_key());
        let commitment = world.commitment(vendor, chain, Some(renewal_key))?;
        wallet.bind(&commitment).map_err(fail("bind"))?;
        let mut session = world.open_plain(vendor, commitment, 2)?;
        for _ in 0..w.payments {
            let mut pending: Option<Payment> = None;
            for _ in 0..w.units {
                let out =
                    on(&mut world.costs.customer, || wallet.pay()).map_err(fail("renewing pay"))?;
                if let Some(link) = &out.link {
                    // Close the old chain first, then send the link.
                    if let Some(p) = pending.take() {
                        send(&mut world.costs.customer, p.to_bytes().len());
                        on(&mut world.costs.vendor, || session.pay(&p, NOW))
                            .map_err(fail("pay"))?;
                    }
                    send(&mut world.costs.customer, link.to_bytes().len());
                    on(&mut world.costs.vendor, || session.renew(link, NOW))
                        .map_err(fail("renew"))?;
                }
                pending = Some(out.payment);
            }
            let p = pending.ok_or_else(|| missing("payment"))?;
            send(&mut world.costs.customer, p.to_bytes().len());
            on(&mut world.costs.vendor, || session.pay(&p, NOW)).map_err(fail("pay"))?;
        }
        let claim = session.cascade().ok_or_else(|| missing("cascade"))?;
        world.redeem(claim.to_bytes().len(), per_vendor, |b| {
            b.redeem_cascade(&claim, &vendor, NOW)
                .map(|r| (r.units, r.chains as u64))
                .map_err(fail("redeem"))
        })?;
    }
    Ok(world.costs)
}

struct Keys {
    customer: LongTermKey,
    vendors: Vec<LongTermKey>,
}

impl BrokerKeys for Keys {
    fn customer_key(&self, id: &CustomerId) -> Option<&LongTermKey> {
        (*id == CUSTOMER_ID).then_some(&self.customer)
    }
    fn vendor_key(&self, id: &VendorId) -> Option<&LongTermKey> {
        let b = id.as_bytes();
        let j = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        self.vendors.get(j as usize).filter(|_| vendor_id(j) == *id)
    }
}

fn symmetric(w: &Workload) -> Result<Costs, RunError> {
    let mut costs = Costs::default();
    let per_vendor = units_each(w)?;
    let mut rng = ChaCha20Rng::from_seed([0x5a; 32]);
    let keys = Keys {
        customer: LongTermKey::random(&mut rng),
        vendors: (0..w.vendors)
            .map(|_| LongTermKey::random(&mut rng))
            .collect(),
    };
    let broker = SymmetricBroker::new(BROKER_ID);
    for j in 0..w.vendors {
        let vendor = vendor_id(j);
        let mut wallet = wallet(&mut costs, j, w.chain_len)?;
        let fields = RequestFields {
            broker: BROKER_ID,
            customer: CUSTOMER_ID,
            certificate: 1,
            vendor,
            nonce: RequestNonce::random(&mut rng),
            params: *wallet.params(),
            anchor: wallet.anchor(),
            unit_value: 1,
            valid_from: NOW,
            expires: NOW + 3_600,
        };
        let request = on(&mut costs.customer, || {
            TicketRequest::new(fields, &keys.customer)
        })
        .map_err(fail("ticket request"))?;
        send(&mut costs.customer, request.to_bytes().len());
        costs.customer.round_trips += 1;
        let ticket = on(&mut costs.broker, || {
            broker.issue(&request, &keys, NOW, &mut rng)
        })
        .map_err(fail("issue"))?;
        send(
            &mut costs.broker,
            ticket.customer.to_bytes().len() + ticket.vendor.to_bytes().len(),
        );
        let mut customer = on(&mut costs.customer, || {
            CustomerSession::open(&request, &keys.customer, &ticket.customer, NOW, SKEW)
        })
        .map_err(fail("customer session"))?;
        send(&mut costs.customer, ticket.vendor.to_bytes().len());
        costs.customer.round_trips += 1;
        let vk = keys
            .vendor_key(&vendor)
            .ok_or_else(|| missing("vendor key"))?;
        let mut cache = ReplayCache::<8>::new();
        let mut session = on(&mut costs.vendor, || {
            SymmetricSession::open(vendor, BROKER_ID, vk, &ticket.vendor, &mut cache, NOW, SKEW)
        })
        .map_err(fail("vendor session"))?;
        costs.vendor.words_stored += 2;
        let confirmation = on(&mut costs.vendor, || session.confirmation());
        send(&mut costs.vendor, confirmation.to_bytes().len());
        on(&mut costs.customer, || customer.confirm(&confirmation)).map_err(fail("confirm"))?;
        for i in 0..w.payments {
            let p = on(&mut costs.customer, || advance(&mut wallet, w.units))?;
            let mut r = [0u8; 16];
            r[..4].copy_from_slice(&i.to_be_bytes());
            let request_id = RequestId::from_bytes(r);
            let payment = on(&mut costs.customer, || customer.pay(request_id, p));
            send(&mut costs.customer, payment.to_bytes().len());
            let paid = on(&mut costs.vendor, || {
                session.pay(&payment, &request_id, NOW)
            })
            .map_err(fail("pay"))?;
            check_paid(paid, w.units)?;
        }
        let claim = session.claim().ok_or_else(|| missing("claim"))?;
        send(&mut costs.vendor, claim.to_bytes().len());
        costs.vendor.round_trips += 1;
        let r = on(&mut costs.broker, || {
            broker.redeem(&claim, &keys, NOW, SKEW, u32::MAX)
        })
        .map_err(fail("redeem"))?;
        costs.broker.words_stored += 1;
        check_units(r.units, per_vendor)?;
    }
    Ok(costs)
}
