//! The multi-merchant targets: one decoder target per new message type, and
//! `protocol_sim`, a whole market of 3 customers × 3 vendors × 1 broker run
//! by the fuzz input.
//!
//! Decoder targets check that decoding is total and canonical (decode →
//! encode = input, within `MAX_LEN`) and push the value one step further:
//! signed contents re-sign and verify, openings hash to a root or are
//! refused, claims are redeemed at a fresh broker (accepted only for genuine
//! paywords, idempotently, never with a proof), fraud proofs verify or are
//! refused within a budget.

use std::fmt::Debug;

use payword::domain::{DeviceClaim, DomainCommitment};
use payword::fraud::FraudProof;
use payword::grant::{
    GrantClaim, GrantSession, RangeGrant, RangeGrantFields, SharedCommitment,
    SharedCommitmentFields,
};
use payword::renew::{CascadeClaim, RenewingWallet};
use payword::reservation::Reservation;
use payword::tree::depth_for;
use payword::tree::{LeafClaim, LeafOpening, LeafSession, MerkleTree, MultiCommitment};
use payword::{
    Blake3, Broker, Encode, HashAlg, MemoryStore, MessageSigner, Payment, PaymentBody, Payword,
    Session, Sha256, TweakableHash, VendorId, Word,
};

use crate::choices::Choices;
use crate::fixture::{
    BROKER_ID, CERT_FROM, CUSTOMERS, Chain, GRACE, NOW, Signing, broker_key, broker_signer,
    certificate_fields, customer_signer, id_and_seed,
};

/// Decodes a `T`; if accepted, checks the canonical rule (decode → encode =
/// input, within `MAX_LEN`); if refused, that the error displays. Shared with
/// [`crate::lms`].
pub(crate) fn decode<T: Encode + PartialEq + Debug>(data: &[u8]) -> Option<T> {
    match T::decode(data) {
        Ok(v) => {
            assert!(
                data.len() <= T::MAX_LEN,
                "{} > MAX_LEN {}",
                data.len(),
                T::MAX_LEN
            );
            assert_eq!(v.to_bytes(), data, "decode → encode changed the bytes");
            assert_eq!(v.encode(&mut []), data.len());
            Some(v)
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            None
        }
    }
}

fn fresh_broker() -> Broker<MemoryStore> {
    Broker::new(BROKER_ID, broker_key(), MemoryStore::new(), GRACE).with_limit(1 << 12)
}

/// `multi_commitment`: decode; the content re-signs and verifies.
pub fn multi_commitment(data: &[u8]) {
    let Some(c) = decode::<MultiCommitment>(data) else {
        return;
    };
    let f = *c.fields();
    assert!(depth_for(f.leaves).is_some() && f.valid_from <= f.expires);
    let signed = MultiCommitment::sign(f, customer_signer(0)).expect("decoded fields sign");
    assert_eq!(signed.digest(), c.digest());
    assert!(signed.verify(&customer_signer(0).public_key()).is_ok());
}

/// `leaf_opening`: decode; the path check is total and agrees with the id.
pub fn leaf_opening(data: &[u8]) {
    let Some(o) = decode::<LeafOpening>(data) else {
        return;
    };
    assert_eq!(Some(o.path.len()), depth_for(o.commitment.fields().leaves));
    if let Ok(id) = o.check_path() {
        assert_eq!(id, o.leaf_id());
    }
}

/// A proof from one redemption is only ever a credit-overspend proof, for
/// a customer who released more than the credit limit, and it verifies.
fn check_credit_proof(fraud: Option<&FraudProof>, released: u64, limit: u64) {
    if let Some(p) = fraud {
        assert_eq!(p.kind(), "credit overspent", "unexpected proof {p:?}");
        assert!(
            released > limit,
            "a proof against a customer within the limit"
        );
        assert!(
            p.verify(&broker_key(), 1 << 16).is_ok(),
            "the broker's own proof must verify"
        );
    }
}

/// `leaf_claim`: decode; redeem at a fresh broker: accepted only within the
/// leaf cap and the total, idempotent, never with a proof (one leaf cannot
/// overcommit).
pub fn leaf_claim(data: &[u8]) {
    let Some(claim) = decode::<LeafClaim>(data) else {
        return;
    };
    let mut b = fresh_broker();
    let vendor = claim.opening.leaf.vendor;
    let r = b.redeem_leaf(&claim, &vendor, NOW);
    trace!("leaf claim: {r:?}");
    if let Ok(r) = r {
        assert!(r.owed <= claim.opening.leaf.cap);
        assert!(r.owed <= claim.opening.commitment.fields().total_cap);
        let value = r.units.saturating_mul(claim.opening.leaf.unit_value);
        check_credit_proof(
            r.fraud.as_ref(),
            value.min(claim.opening.leaf.cap),
            claim.certificate.fields().credit_limit,
        );
        let again = b
            .redeem_leaf(&claim, &vendor, NOW)
            .expect("accepted once, accepted again");
        assert_eq!((again.owed, again.units), (0, r.units));
    }
}

/// `shared_commitment`: decode; the content re-signs and verifies.
pub fn shared_commitment(data: &[u8]) {
    let Some(c) = decode::<SharedCommitment>(data) else {
        return;
    };
    let signed =
        SharedCommitment::sign(*c.fields(), customer_signer(1)).expect("decoded fields sign");
    assert_eq!(signed.digest(), c.digest());
}

/// `range_grant`: decode; the content re-signs; `covers` agrees with the range.
pub fn range_grant(data: &[u8]) {
    let Some(g) = decode::<RangeGrant>(data) else {
        return;
    };
    let f = *g.fields();
    assert!(f.from < f.to);
    assert!(g.covers(f.to) && !g.covers(f.from));
    assert!(g.overlaps(&g));
    let signed = RangeGrant::sign(f, customer_signer(2)).expect("decoded fields sign");
    assert_eq!(signed.digest(), g.digest());
}

fn walks_to<H: TweakableHash>(claim: &GrantClaim) -> bool {
    let g = claim.grant.fields();
    let id = claim.commitment.fields().params.id();
    H::chain_walk(id, claim.payword.index(), claim.payword.word(), g.from) == g.start
}

/// `grant_claim`: decode; redeem at a fresh broker: accepted only if the
/// payword is inside the grant and hashes down to its start word, for
/// `(index − a) × unit value` within the credit limit; idempotent; no proof.
pub fn grant_claim(data: &[u8]) {
    let Some(claim) = decode::<GrantClaim>(data) else {
        return;
    };
    let mut b = fresh_broker();
    let vendor = claim.grant.fields().vendor;
    let r = b.redeem_grant(&claim, &vendor, NOW);
    trace!("grant claim: {r:?}");
    if let Ok(r) = r {
        assert!(claim.grant.covers(claim.payword.index()));
        let genuine = match claim.commitment.fields().params.alg() {
            HashAlg::Blake3 => walks_to::<Blake3>(&claim),
            _ => walks_to::<Sha256>(&claim),
        };
        assert!(
            genuine,
            "a payword that does not hash to the start word was accepted"
        );
        let units = u64::from(claim.payword.index() - claim.grant.fields().from);
        assert_eq!(r.units, units);
        let value = units.saturating_mul(claim.commitment.fields().unit_value);
        let limit = claim.certificate.fields().credit_limit;
        assert_eq!(r.owed, value.min(limit));
        check_credit_proof(r.fraud.as_ref(), value, limit);
        let again = b
            .redeem_grant(&claim, &vendor, NOW)
            .expect("accepted again");
        assert_eq!(again.owed, 0);
    }
}

/// `reservation`: decode; the content re-signs and verifies.
pub fn reservation(data: &[u8]) {
    let Some(r) = decode::<Reservation>(data) else {
        return;
    };
    let signed = Reservation::sign(*r.fields(), broker_signer()).expect("decoded fields sign");
    assert!(signed.verify(&broker_key()).is_ok());
    assert!(signed.covers(&r.fields().key, &r.fields().vendor));
}

/// `domain_commitment`: decode; the content re-signs and verifies; the device
/// list is within its maximum.
pub fn domain_commitment(data: &[u8]) {
    let Some(d) = decode::<DomainCommitment>(data) else {
        return;
    };
    let f = *d.fields();
    assert!(!f.devices().is_empty() && f.devices().len() <= payword::domain::MAX_DEVICES);
    let signed = DomainCommitment::sign(f, customer_signer(0)).expect("decoded fields sign");
    assert_eq!(signed.digest(), d.digest());
}

/// `device_commitment`: decode; the content re-signs; the device index is
/// below the maximum.
pub fn device_commitment(data: &[u8]) {
    let Some(c) = decode::<payword::domain::DeviceCommitment>(data) else {
        return;
    };
    let f = *c.fields();
    assert!(usize::from(f.device) < payword::domain::MAX_DEVICES);
    assert!(f.unit_value >= 1 && f.valid_from <= f.expires);
    let signed = payword::domain::DeviceCommitment::sign(f, customer_signer(1))
        .expect("decoded fields sign");
    assert_eq!(signed.digest(), c.digest());
}

/// `device_claim`: decode; redeem at a fresh broker: never more than the
/// device limit, the domain limit or the credit limit; idempotent; a single
/// claim carries a proof only if it passes a limit, and then the proof
/// verifies.
pub fn device_claim(data: &[u8]) {
    let Some(claim) = decode::<DeviceClaim>(data) else {
        return;
    };
    let mut b = fresh_broker();
    let vendor = claim.commitment.fields().vendor;
    let r = b.redeem_device(&claim, &vendor, NOW);
    trace!("device claim: {r:?}");
    if let Ok(r) = r {
        let df = claim.domain.fields();
        assert!(r.owed <= df.device_limit && r.owed <= df.domain_limit);
        assert!(r.owed <= claim.certificate.fields().credit_limit);
        if let Some(p) = &r.fraud {
            assert!(
                p.verify(&broker_key(), 1 << 12).is_ok(),
                "the broker's own proof must verify"
            );
        }
        let again = b
            .redeem_device(&claim, &vendor, NOW)
            .expect("accepted again");
        assert_eq!(again.owed, 0);
    }
}

/// `fraud_proof`: decode; verification is total and bounded.
pub fn fraud_proof(data: &[u8]) {
    let Some(p) = decode::<FraudProof>(data) else {
        return;
    };
    let v = p.verify(&broker_key(), 1 << 12);
    trace!("fraud proof: {v:?}");
    assert!(!p.to_string().is_empty());
    if let Ok(c) = v {
        assert_eq!(c, *p.customer());
    }
}

// ---------------------------------------------------------------------------
// protocol_sim

/// Vendors in the simulation.
pub const VENDORS: usize = 3;
/// Chain length of each leaf and device chain; the shared chain is
/// `VENDORS` times longer.
pub const LEAF_N: u32 = 24;
/// The three ways a customer pays a vendor in the simulation.
const LEAF: usize = 0;
const GRANT: usize = 1;
const DEVICE: usize = 2;
/// A plain commitment whose chain renews itself (length [`CASCADE_N`]),
/// redeemed as a cascade.
const CASCADE: usize = 3;
/// Ways to pay.
const KINDS: usize = 4;
/// Chain length of each renewing chain: it renews every few payments.
const CASCADE_N: u32 = 4;

fn vendor(v: usize) -> VendorId {
    VendorId::from_bytes([0x60 + v as u8; 32])
}

/// Unit value of variant `k` at vendor `v`.
fn unit(k: usize, v: usize) -> u64 {
    match k {
        LEAF => 1 + v as u64,
        GRANT => 2,
        _ => 1,
    }
}

/// One customer's funds: a Merkle root over one leaf per vendor, a shared
/// chain with one grant per vendor, and a domain whose device `v` pays
/// vendor `v`.
struct Customer {
    cert: payword::Certificate,
    leaf_chains: Vec<Chain>,
    leaf_sessions: Vec<LeafSession>,
    /// Each vendor's leaf opening (what a reservation is for).
    openings: Vec<payword::tree::LeafOpening>,
    /// Credit the broker reserved for each vendor's leaf (0: none).
    reserved: [u64; VENDORS],
    shared_chain: Chain,
    grant_sessions: Vec<GrantSession>,
    device_chains: Vec<Chain>,
    device_sessions: Vec<payword::domain::DeviceSession>,
    device_limit: u64,
    domain_limit: u64,
    /// Each vendor's renewing wallet and session (the cascade variant).
    wallets: Vec<RenewingWallet<Sha256>>,
    cascade_sessions: Vec<Session>,
    /// Units released by the customer per (vendor, variant).
    released: [[u32; KINDS]; VENDORS],
    /// Claims the vendors took along the way (any may be presented).
    claims: Vec<(usize, Claim)>,
}

impl Customer {
    fn value(&self, v: usize, k: usize) -> u64 {
        u64::from(self.released[v][k]) * unit(k, v)
    }

    /// Value released, each part within the limits the customer signed
    /// (the devices within the device and domain limits).
    fn capped_value(&self) -> u64 {
        let plain: u64 = (0..VENDORS)
            .map(|v| self.value(v, LEAF) + self.value(v, GRANT) + self.value(v, CASCADE))
            .sum();
        let devices: u64 = (0..VENDORS)
            .map(|v| self.value(v, DEVICE).min(self.device_limit))
            .sum();
        plain + devices.min(self.domain_limit)
    }

    /// Whether a device or the domain released past its limit.
    fn past_domain_limits(&self) -> bool {
        let devices: Vec<u64> = (0..VENDORS).map(|v| self.value(v, DEVICE)).collect();
        devices.iter().any(|&d| d > self.device_limit)
            || devices.iter().sum::<u64>() > self.domain_limit
    }
}

#[derive(Clone, Debug)]
enum Claim {
    Leaf(Box<LeafClaim>),
    Grant(Box<GrantClaim>),
    Device(Box<DeviceClaim>),
    Cascade(Box<CascadeClaim>),
}

fn customer(c: usize, limits: [u64; 3], seed: u8) -> Customer {
    let [credit, device_limit, domain_limit] = limits;
    let cert = Signing::Native.certificate(certificate_fields(c, c as u64, credit));
    let signer = customer_signer(c);
    let chain = |tag: u8, n: u32| {
        let (id, s) = id_and_seed(tag, &[seed]);
        let params = payword::ChainParams::new(HashAlg::Sha256, id, n.into()).expect("n ≥ 1");
        Chain::new(params, &s)
    };
    let leaf_chains: Vec<Chain> = (0..VENDORS)
        .map(|v| chain(0x10 * c as u8 + v as u8, LEAF_N))
        .collect();
    let leaves = leaf_chains
        .iter()
        .enumerate()
        .map(|(v, ch)| payword::tree::Leaf {
            vendor: vendor(v),
            unit_value: unit(LEAF, v),
            cap: u64::from(LEAF_N) * unit(LEAF, v),
            chain: payword::CommittedChain::Single {
                params: ch.params,
                anchor: ch.anchor(),
            },
        })
        .collect();
    let (tree_id, _) = id_and_seed(0xa0 + c as u8, &[seed]);
    let tree = MerkleTree::build(cert.digest(), tree_id, leaves).expect("3 leaves");
    let root = MultiCommitment::sign(tree.fields(CERT_FROM, NOW + 10), signer).expect("root");
    let openings: Vec<_> = (0..VENDORS)
        .map(|v| tree.opening(&root, v as u32).expect("leaf"))
        .collect();
    let leaf_sessions = openings
        .iter()
        .enumerate()
        .map(|(v, o)| {
            LeafSession::open(vendor(v), &broker_key(), cert, *o, NOW, 0)
                .expect("honest leaf opens")
        })
        .collect();
    let shared_chain = chain(0xc0 + c as u8, LEAF_N * VENDORS as u32);
    let shared = SharedCommitment::sign(
        SharedCommitmentFields {
            certificate: cert.digest(),
            unit_value: unit(GRANT, 0),
            valid_from: CERT_FROM,
            expires: NOW + 10,
            params: shared_chain.params,
            anchor: shared_chain.anchor(),
        },
        signer,
    )
    .expect("shared");
    let grant_sessions = (0..VENDORS)
        .map(|v| {
            let from = LEAF_N * v as u32;
            let g = RangeGrant::sign(
                RangeGrantFields {
                    commitment: shared.digest(),
                    vendor: vendor(v),
                    from,
                    to: from + LEAF_N,
                    start: shared_chain.word(from),
                },
                signer,
            )
            .expect("grant");
            GrantSession::open(vendor(v), &broker_key(), cert, shared, g, NOW, 0)
                .expect("honest grant opens")
        })
        .collect();
    // Devices sign with the other customers' keys (any listed key will do).
    let device_signer = |v: usize| customer_signer(c + 1 + v);
    let keys: Vec<_> = (0..VENDORS)
        .map(|v| device_signer(v).public_key())
        .collect();
    let (domain_id, _) = id_and_seed(0xe0 + c as u8, &[seed]);
    let domain = DomainCommitment::sign(
        payword::domain::DomainCommitmentFields::new(
            cert.digest(),
            domain_id,
            domain_limit,
            device_limit,
            CERT_FROM,
            NOW + 10,
            &keys,
        )
        .expect("3 devices"),
        signer,
    )
    .expect("domain");
    let device_chains: Vec<Chain> = (0..VENDORS)
        .map(|v| chain(0x80 + 0x10 * c as u8 + v as u8, LEAF_N))
        .collect();
    let device_sessions = device_chains
        .iter()
        .enumerate()
        .map(|(v, ch)| {
            let dc = payword::domain::DeviceCommitment::sign(
                payword::domain::DeviceCommitmentFields {
                    domain: domain.digest(),
                    device: v as u8,
                    vendor: vendor(v),
                    unit_value: unit(DEVICE, v),
                    valid_from: CERT_FROM,
                    expires: NOW + 10,
                    chain: payword::CommittedChain::Single {
                        params: ch.params,
                        anchor: ch.anchor(),
                    },
                },
                device_signer(v),
            )
            .expect("device commitment");
            payword::domain::DeviceSession::open(vendor(v), &broker_key(), cert, domain, dc, NOW, 0)
                .expect("honest device opens")
        })
        .collect();
    let mut wallets = Vec::with_capacity(VENDORS);
    let mut cascade_sessions = Vec::with_capacity(VENDORS);
    for v in 0..VENDORS {
        let (id, s) = id_and_seed(0x40 + 0x10 * c as u8 + v as u8, &[seed]);
        let params =
            payword::ChainParams::new(HashAlg::Sha256, id, CASCADE_N.into()).expect("n ≥ 1");
        let mut w = RenewingWallet::<Sha256>::new(s, params, 0).expect("wallet");
        let commitment = payword::Commitment::sign(
            payword::CommitmentFields {
                certificate: cert.digest(),
                vendor: vendor(v),
                unit_value: unit(CASCADE, v),
                valid_from: CERT_FROM,
                expires: NOW + 10,
                chain: w.committed_chain(),
                renewal: Some(w.renewal_key()),
            },
            signer,
        )
        .expect("commitment");
        w.bind(&commitment).expect("bound");
        cascade_sessions.push(
            Session::open(vendor(v), &broker_key(), cert, commitment, NOW, 0)
                .expect("honest commitment opens"),
        );
        wallets.push(w);
    }
    Customer {
        cert,
        leaf_chains,
        leaf_sessions,
        openings,
        reserved: [0; VENDORS],
        shared_chain,
        grant_sessions,
        device_chains,
        device_sessions,
        device_limit,
        domain_limit,
        wallets,
        cascade_sessions,
        released: [[0; KINDS]; VENDORS],
        claims: Vec::new(),
    }
}

fn single(index: u32, word: Word) -> PaymentBody {
    PaymentBody::Single(Payword::new(index, word))
}

/// What the simulation knows of a customer when a claim is redeemed.
#[derive(Clone, Copy)]
struct Released {
    capped: u64,
    credit: u64,
    past_domain_limits: bool,
}

impl Released {
    fn of(cu: &Customer) -> Self {
        Self {
            capped: cu.capped_value(),
            credit: cu.cert.fields().credit_limit,
            past_domain_limits: cu.past_domain_limits(),
        }
    }

    /// A proof only for a customer past a limit it signed for, of the
    /// matching kind, and it verifies.
    fn check(self, fraud: Option<&FraudProof>) {
        let Some(p) = fraud else {
            return;
        };
        match p.kind() {
            "credit overspent" => assert!(
                self.capped > self.credit,
                "a credit proof against a customer within the limit"
            ),
            "domain overspent" => assert!(
                self.past_domain_limits,
                "a domain proof against devices within their limits"
            ),
            k => panic!("a {k} proof against an honest customer"),
        }
        assert!(
            p.verify(&broker_key(), 1 << 16).is_ok(),
            "the broker's own proof must verify"
        );
    }
}

fn redeem(
    broker: &mut Broker<MemoryStore>,
    (c, v, by): (usize, usize, usize),
    claim: &Claim,
    owed: &mut [[[u64; KINDS]; VENDORS]; CUSTOMERS],
    released: Released,
) {
    let at = NOW + 5;
    let multi = |r: payword::fraud::MultiRedemption| (r.owed, r.fraud);
    let r: Result<(usize, (u64, Option<FraudProof>)), String> = match claim {
        Claim::Leaf(cl) => broker
            .redeem_leaf(cl, &vendor(by), at)
            .map(|r| (LEAF, multi(r)))
            .map_err(|e| e.to_string()),
        Claim::Grant(cl) => broker
            .redeem_grant(cl, &vendor(by), at)
            .map(|r| (GRANT, multi(r)))
            .map_err(|e| e.to_string()),
        Claim::Device(cl) => broker
            .redeem_device(cl, &vendor(by), at)
            .map(|r| (DEVICE, multi(r)))
            .map_err(|e| e.to_string()),
        Claim::Cascade(cl) => broker
            .redeem_cascade(cl, &vendor(by), at)
            .map(|r| (CASCADE, (r.owed, None)))
            .map_err(|e| e.to_string()),
    };
    trace!("redeem c{c} v{v} by v{by}: {r:?}");
    if by != v {
        assert!(r.is_err(), "vendor {by} redeemed vendor {v}'s claim");
        return;
    }
    let (k, (o, fraud)) = r.expect("an honest claim is accepted");
    released.check(fraud.as_ref());
    owed[c][v][k] += o;
}

/// `protocol_sim`: 3 customers pay 3 vendors through Merkle leaves, range
/// grants and the devices of a domain account (credit, device and domain
/// limits chosen by the input) and plain commitments to self-renewing chains
/// (redeemed as cascades), the broker reserving credit for leaves; vendors
/// present any claims they took, in any
/// order, again and again, to the wrong vendor. Checked: a proof names a
/// customer only past a limit it signed for, and verifies; a stolen claim is
/// refused; at the end (every vendor's last claims presented) no vendor is
/// owed more than it was paid, each customer's total is exactly
/// `min(credit, value released within the signed limits)`, and a customer
/// within every limit has every vendor paid exactly; every reservation is
/// honoured, and only credit a reservation locked but its leaf never used
/// can be missing from the total.
#[allow(clippy::needless_range_loop)] // parallel per-vendor arrays read best indexed
pub fn protocol_sim(data: &[u8]) {
    let mut ch = Choices::new(data);
    let seed = ch.u8();
    let limits: [[u64; 3]; CUSTOMERS] =
        core::array::from_fn(|_| core::array::from_fn(|_| u64::from(ch.u16())));
    let mut customers: Vec<Customer> = (0..CUSTOMERS)
        .map(|c| customer(c, limits[c], seed))
        .collect();
    let mut broker = fresh_broker();
    let mut owed = [[[0u64; KINDS]; VENDORS]; CUSTOMERS];
    for _ in 0..64 {
        if ch.is_empty() {
            break;
        }
        let op = ch.u8();
        let c = usize::from(ch.u8()) % CUSTOMERS;
        let v = usize::from(ch.u8()) % VENDORS;
        let arg = ch.u8();
        let cu = &mut customers[c];
        match op % 7 {
            // Pay `arg mod 4` units through the leaf, the grant, the device or
            // the renewing chain.
            k @ 0..=3 => {
                let k = usize::from(k);
                let units = u32::from(arg % 4);
                let next = (cu.released[v][k] + units).min(LEAF_N);
                if next == cu.released[v][k] {
                    continue;
                }
                let accepted = match k {
                    LEAF => {
                        let s = &mut cu.leaf_sessions[v];
                        let p =
                            Payment::new(*s.leaf_id(), single(next, cu.leaf_chains[v].word(next)));
                        s.pay(&p, NOW)
                    }
                    GRANT => {
                        let s = &mut cu.grant_sessions[v];
                        let i = LEAF_N * v as u32 + next;
                        let p = Payment::new(*s.grant_id(), single(i, cu.shared_chain.word(i)));
                        s.pay(&p, NOW)
                    }
                    CASCADE => {
                        let (w, s) = (&mut cu.wallets[v], &mut cu.cascade_sessions[v]);
                        let mut done = Ok(0);
                        for _ in cu.released[v][k]..next {
                            let out = w.pay().expect("the wallet renews");
                            if let Some(link) = &out.link {
                                s.renew(link, NOW).expect("an honest link is accepted");
                            }
                            done = s.pay(&out.payment, NOW).map_err(payword::MultiError::from);
                            if done.is_err() {
                                break;
                            }
                        }
                        done
                    }
                    _ => {
                        let s = &mut cu.device_sessions[v];
                        let p = Payment::new(
                            *s.commitment_digest(),
                            single(next, cu.device_chains[v].word(next)),
                        );
                        s.pay(&p, NOW)
                    }
                };
                trace!("pay c{c} v{v} k{k} to {next}: {accepted:?}");
                accepted.expect("an honest payment is accepted");
                cu.released[v][k] = next;
            }
            // The vendor takes a claim.
            4 => {
                let claim = match arg % 4 {
                    3 => cu.cascade_sessions[v]
                        .cascade()
                        .map(|c| Claim::Cascade(Box::new(c))),
                    0 => cu.leaf_sessions[v]
                        .claim()
                        .map(|c| Claim::Leaf(Box::new(c))),
                    1 => cu.grant_sessions[v]
                        .claim()
                        .map(|c| Claim::Grant(Box::new(c))),
                    _ => cu.device_sessions[v]
                        .claim()
                        .map(|c| Claim::Device(Box::new(c))),
                };
                if let Some(cl) = claim {
                    cu.claims.push((v, cl));
                }
            }
            // The broker reserves `arg + 1` of the customer's credit for
            // vendor `v`'s leaf (refused past the credit, or if reserved).
            5 => {
                let amount = u64::from(arg) + 1;
                let r = broker.reserve(
                    &cu.cert,
                    payword::reservation::ReservationTarget::Leaf(&cu.openings[v]),
                    amount,
                    NOW,
                    NOW + 10,
                    broker_signer(),
                );
                trace!("reserve c{c} v{v} {amount}: {r:?}");
                if r.is_ok() && cu.reserved[v] == 0 {
                    cu.reserved[v] = amount;
                }
            }
            // Present any claim taken so far, by its vendor or another one.
            _ => {
                if cu.claims.is_empty() {
                    continue;
                }
                let (cv, cl) = cu.claims[usize::from(arg) % cu.claims.len()].clone();
                let by = if ch.u8().is_multiple_of(4) { v } else { cv };
                let released = Released::of(cu);
                redeem(&mut broker, (c, cv, by), &cl, &mut owed, released);
            }
        }
    }
    // Settle: every vendor presents its latest claims.
    for c in 0..CUSTOMERS {
        let cu = &customers[c];
        let released = Released::of(cu);
        for v in 0..VENDORS {
            let last = [
                cu.leaf_sessions[v]
                    .claim()
                    .map(|c| Claim::Leaf(Box::new(c))),
                cu.grant_sessions[v]
                    .claim()
                    .map(|c| Claim::Grant(Box::new(c))),
                cu.device_sessions[v]
                    .claim()
                    .map(|c| Claim::Device(Box::new(c))),
                cu.cascade_sessions[v]
                    .cascade()
                    .map(|c| Claim::Cascade(Box::new(c))),
            ];
            for cl in last.into_iter().flatten() {
                redeem(&mut broker, (c, v, v), &cl, &mut owed, released);
            }
        }
        for v in 0..VENDORS {
            for k in 0..KINDS {
                assert!(
                    owed[c][v][k] <= cu.value(v, k),
                    "value created for c{c} v{v} k{k}"
                );
            }
        }
        let total: u64 = owed[c].iter().flatten().sum();
        // A reservation is honoured: its leaf is paid at least what was
        // reserved, or all it released.
        for v in 0..VENDORS {
            assert!(
                owed[c][v][LEAF] >= cu.reserved[v].min(cu.value(v, LEAF)),
                "reservation of c{c} v{v} not honoured"
            );
        }
        // Credit a reservation locked for its leaf but the leaf never used
        // is the only value the others may miss.
        let unused: u64 = (0..VENDORS)
            .map(|v| cu.reserved[v].saturating_sub(owed[c][v][LEAF]))
            .sum();
        let due = released.capped.min(released.credit);
        assert!(total <= due, "value created for customer {c}");
        assert!(total + unused >= due, "value lost for customer {c}");
        if unused == 0 {
            assert_eq!(total, due, "value lost or created for customer {c}");
        }
        if unused == 0 && released.capped <= released.credit && !released.past_domain_limits {
            for v in 0..VENDORS {
                for k in 0..KINDS {
                    assert_eq!(
                        owed[c][v][k],
                        cu.value(v, k),
                        "c{c} v{v} k{k} not paid in full"
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Seeds

/// `msg` re-signed the way a `cfg(fuzzing)` build signs (the signature is the
/// last field of every signed multi-merchant message).
fn fuzz_signed<T: Encode + Debug>(msg: &T) -> T {
    let mut bytes = msg.to_bytes();
    let sig_at = bytes.len() - 64;
    let d = crate::fixture::fuzz_digest(T::TAG, &bytes[..sig_at - 1]);
    bytes[sig_at..sig_at + 32].copy_from_slice(d.as_bytes());
    bytes[sig_at + 32..].fill(0);
    T::decode(&bytes).expect("re-signed message decodes")
}

/// The identity a `cfg(fuzzing)` build gives a signed message.
fn fuzz_id<T: Encode>(msg: &T) -> payword::Digest {
    let bytes = msg.to_bytes();
    crate::fixture::fuzz_digest(
        T::TAG,
        &bytes[..bytes.len() - payword::Signature::ED25519_ENCODED_LEN],
    )
}

/// Seed files for the multi-merchant targets: `(target, name, bytes)`.
#[must_use]
pub fn seeds() -> Vec<crate::corpus::Seed> {
    use payword::fraud::{EquivocationProof, OpenedLeaf, OvercommitProof};
    use payword::reservation::ReservationFields;
    use payword::tree::Leaf;
    use payword::{ChainParams, CommittedChain, OverspendProof};

    let s = Signing::Fuzzing;
    let cert = s.certificate(certificate_fields(0, 1, 1000));
    let cert_id = s.certificate_digest(&cert);
    let signer = customer_signer(0);
    let chains: Vec<Chain> = (0..3u8)
        .map(|v| {
            let (id, seed) = id_and_seed(v, b"seed");
            Chain::new(ChainParams::new(HashAlg::Sha256, id, 32).expect("n"), &seed)
        })
        .collect();
    let leaves: Vec<Leaf> = chains
        .iter()
        .enumerate()
        .map(|(v, c)| Leaf {
            vendor: vendor(v),
            unit_value: 1,
            cap: 20,
            chain: CommittedChain::Single {
                params: c.params,
                anchor: c.anchor(),
            },
        })
        .collect();
    let (tree_id, _) = id_and_seed(9, b"tree");
    let tree = MerkleTree::build(cert_id, tree_id, leaves.clone()).expect("tree");
    let root = fuzz_signed(
        &MultiCommitment::sign(tree.fields(CERT_FROM, NOW + 10), signer).expect("root"),
    );
    let mut over = tree.fields(CERT_FROM, NOW + 10);
    over.total_cap = 30;
    let over = fuzz_signed(&MultiCommitment::sign(over, signer).expect("root"));
    let one = MerkleTree::build(cert_id, tree_id, leaves[..1].to_vec()).expect("tree");
    let one_root =
        fuzz_signed(&MultiCommitment::sign(one.fields(CERT_FROM, NOW + 10), signer).expect("root"));
    let opening = tree.opening(&root, 1).expect("leaf 1");
    let leaf_claim = |i: u32| LeafClaim {
        certificate: cert,
        opening,
        payment: Payment::new(opening.leaf_id(), single(i, chains[1].word(i))),
    };
    let shared_chain = &chains[2];
    let shared = fuzz_signed(
        &SharedCommitment::sign(
            SharedCommitmentFields {
                certificate: cert_id,
                unit_value: 2,
                valid_from: CERT_FROM,
                expires: NOW + 10,
                params: shared_chain.params,
                anchor: shared_chain.anchor(),
            },
            signer,
        )
        .expect("shared"),
    );
    let grant = |v: usize, from: u32, to: u32| {
        fuzz_signed(
            &RangeGrant::sign(
                RangeGrantFields {
                    commitment: fuzz_id(&shared),
                    vendor: vendor(v),
                    from,
                    to,
                    start: shared_chain.word(from),
                },
                signer,
            )
            .expect("grant"),
        )
    };
    let (g0, g1, g2) = (grant(0, 0, 16), grant(1, 16, 32), grant(2, 10, 20));
    let grant_claim = |g: RangeGrant, i: u32| GrantClaim {
        certificate: cert,
        commitment: shared,
        grant: g,
        payword: Payword::new(i, shared_chain.word(i)),
    };
    let reservation = fuzz_signed(
        &Reservation::sign(
            ReservationFields {
                broker: BROKER_ID,
                certificate: cert_id,
                key: opening.leaf_id(),
                vendor: vendor(1),
                amount: 20,
                expires: NOW + 10,
            },
            broker_signer(),
        )
        .expect("reservation"),
    );
    let opened = |j: u32| {
        let o = tree.opening(&over, j).expect("leaf");
        OpenedLeaf {
            index: j,
            leaf: o.leaf,
            path: o.path,
        }
    };
    let proofs = [
        FraudProof::Equivocation(EquivocationProof {
            certificate: cert,
            commitment: shared,
            first: g1,
            second: g2,
        }),
        FraudProof::Overcommit(OvercommitProof {
            certificate: cert,
            commitment: over,
            leaves: (0..3).map(opened).collect(),
        }),
        FraudProof::Overspent(OverspendProof {
            certificate: cert,
            spent: Vec::new(),
        }),
    ];
    // Programs: seed, then (credit, device limit, domain limit) per customer,
    // then ops `op c v arg` (op 0/1/2 pay by leaf/grant/device, 3 take a claim
    // of variant arg mod 3, 4 present a claim, with one more byte: 0 mod 4 =
    // by another vendor).
    let program = |seed: u8, limits: [[u16; 3]; 3], ops: &[(u8, u8, u8, u8)]| {
        let mut p = crate::choices::Script::new();
        p.u8(seed);
        for l in limits.iter().flatten() {
            p.u16(*l);
        }
        for &(op, c, v, arg) in ops {
            p.u8(op).u8(c).u8(v).u8(arg);
            if op == 4 {
                p.u8(1);
            }
        }
        p.finish()
    };
    let sim = program(
        7,
        [[1000, 40, 60], [20, 100, 100], [0, 5, 5]],
        &[
            (0, 0, 0, 3),
            (1, 0, 1, 3),
            (2, 0, 2, 3),
            (3, 0, 0, 0),
            (3, 0, 1, 1),
            (3, 0, 2, 2),
            (0, 1, 2, 2),
            (2, 1, 2, 3),
            (4, 0, 0, 0),
            (1, 1, 0, 3),
            (1, 1, 0, 3),
            (3, 1, 0, 1),
            (3, 1, 2, 2),
            (4, 1, 1, 0),
            (4, 0, 2, 1),
            (1, 2, 2, 2),
            (3, 2, 2, 1),
            (4, 2, 0, 0),
        ],
    );
    let stolen = program(
        1,
        [[500, 500, 500]; 3],
        &[
            (0, 0, 1, 3),
            (3, 0, 1, 0),
            (4, 0, 2, 0),
            (2, 0, 1, 3),
            (3, 0, 1, 2),
            (4, 0, 0, 1),
        ],
    );
    let domain_limits = program(
        3,
        [[1000, 3, 5], [1000, 3, 5], [4, 3, 5]],
        &[
            (2, 0, 0, 3),
            (2, 0, 0, 3),
            (2, 0, 1, 3),
            (3, 0, 0, 2),
            (3, 0, 1, 2),
            (4, 0, 0, 0),
            (4, 0, 0, 1),
            (2, 2, 2, 3),
            (2, 2, 2, 3),
        ],
    );
    // A domain of two devices, device limit 20; device 0 spends 25 at one vendor.
    let dom_fields = payword::domain::DomainCommitmentFields::new(
        cert_id,
        tree_id,
        30,
        20,
        CERT_FROM,
        NOW + 10,
        &[
            customer_signer(1).public_key(),
            customer_signer(2).public_key(),
        ],
    )
    .expect("two devices");
    let dom = fuzz_signed(&DomainCommitment::sign(dom_fields, signer).expect("domain"));
    let device_commitment = fuzz_signed(
        &payword::domain::DeviceCommitment::sign(
            payword::domain::DeviceCommitmentFields {
                domain: fuzz_id(&dom),
                device: 0,
                vendor: vendor(0),
                unit_value: 1,
                valid_from: CERT_FROM,
                expires: NOW + 10,
                chain: CommittedChain::Single {
                    params: chains[0].params,
                    anchor: chains[0].anchor(),
                },
            },
            customer_signer(1),
        )
        .expect("device commitment"),
    );
    let device_claim = |i: u32| DeviceClaim {
        certificate: cert,
        domain: dom,
        commitment: device_commitment,
        payment: Payment::new(fuzz_id(&device_commitment), single(i, chains[0].word(i))),
    };
    let proofs = [
        proofs[0].clone(),
        proofs[1].clone(),
        proofs[2].clone(),
        FraudProof::DomainOverspent(payword::fraud::DomainOverspendProof {
            certificate: cert,
            domain: dom,
            spent: vec![(device_commitment, single(25, chains[0].word(25)))],
        }),
    ];
    let proofs = [
        proofs[0].clone(),
        proofs[1].clone(),
        proofs[2].clone(),
        proofs[3].clone(),
        FraudProof::CreditOverspent(payword::fraud::CreditOverspendProof {
            certificate: cert,
            spent: vec![
                payword::fraud::Spend::Leaf {
                    opening,
                    paid: single(5, chains[1].word(5)),
                },
                payword::fraud::Spend::Grant {
                    commitment: shared,
                    grant: g1,
                    paid: Payword::new(20, shared_chain.word(20)),
                },
            ],
        }),
    ];
    let names = [
        "equivocation",
        "overcommit",
        "overspent-empty",
        "domain-overspent",
        "credit-overspent",
    ];
    let mut out: Vec<crate::corpus::Seed> = vec![
        ("multi_commitment", "three-leaves".into(), root.to_bytes()),
        ("multi_commitment", "one-leaf".into(), one_root.to_bytes()),
        ("leaf_opening", "depth-2".into(), opening.to_bytes()),
        (
            "leaf_opening",
            "depth-0".into(),
            one.opening(&one_root, 0).expect("leaf").to_bytes(),
        ),
        ("leaf_claim", "genuine".into(), leaf_claim(5).to_bytes()),
        ("leaf_claim", "over-cap".into(), leaf_claim(25).to_bytes()),
        ("shared_commitment", "basic".into(), shared.to_bytes()),
        ("range_grant", "from-anchor".into(), g0.to_bytes()),
        ("range_grant", "middle".into(), g1.to_bytes()),
        (
            "grant_claim",
            "genuine".into(),
            grant_claim(g1, 20).to_bytes(),
        ),
        (
            "grant_claim",
            "outside".into(),
            grant_claim(g0, 20).to_bytes(),
        ),
        ("reservation", "basic".into(), reservation.to_bytes()),
        ("domain_commitment", "two-devices".into(), dom.to_bytes()),
        (
            "device_commitment",
            "device-0".into(),
            device_commitment.to_bytes(),
        ),
        ("device_claim", "within".into(), device_claim(10).to_bytes()),
        (
            "device_claim",
            "past-device-limit".into(),
            device_claim(25).to_bytes(),
        ),
        ("protocol_sim", "mixed".into(), sim),
        ("protocol_sim", "domain-limits".into(), domain_limits),
        ("protocol_sim", "stolen-claims".into(), stolen),
    ];
    out.extend(
        proofs
            .iter()
            .zip(names)
            .map(|(p, n)| ("fraud_proof", n.to_string(), p.to_bytes())),
    );
    out
}

#[cfg(test)]
mod tests {
    /// The multi-merchant seeds replay through their targets (also covered
    /// by the crate-wide replay; this one runs them alone, real primitives).
    #[test]
    fn multi_seeds_replay() {
        for (target, name, bytes) in super::seeds() {
            eprintln!("replaying {target}/{name}");
            crate::targets::by_name(target).expect("target exists")(&bytes);
        }
    }

    /// `protocol_sim` on empty, short and saturated inputs.
    #[test]
    fn sim_handles_empty_and_short_inputs() {
        super::protocol_sim(&[]);
        super::protocol_sim(&[1, 2, 3]);
        super::protocol_sim(&[0xff; 300]);
    }
}
