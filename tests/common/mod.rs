//! Shared fixtures of the broker tests: one certificate funding every claim
//! kind (plain, cascade, tree leaf, grant, device) and reservations.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ed25519_dalek::SigningKey;
use payword::domain::{
    DeviceClaim, DeviceCommitment, DeviceCommitmentFields, DomainCommitment, DomainCommitmentFields,
};
use payword::grant::{
    GrantClaim, RangeGrant, RangeGrantFields, SharedCommitment, SharedCommitmentFields,
};
use payword::renew::{CascadeClaim, RenewingWallet};
use payword::store::Store;
use payword::tree::{Leaf, LeafClaim, MerkleTree, MultiCommitment};
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CommittedChain, CustomerId, HashAlg, MemoryStore, MessageSigner, Payment,
    PaymentBody, RedemptionClaim, Session, Sha256, StoreAll, Traversal, VendorId,
};

pub const NOW: u64 = 1_000_000;

/// The parties: keys of any [`MessageSigner`] (Ed25519 by default; see
/// `world_lms` for LMS).
pub struct World<B = SigningKey, C = B> {
    pub broker: B,
    pub customer: C,
    pub broker_id: BrokerId,
    pub vendor: VendorId,
    pub cert: Certificate,
}

pub fn world(credit_limit: u64) -> World {
    world_with(
        SigningKey::from_bytes(&[1; 32]),
        SigningKey::from_bytes(&[2; 32]),
        credit_limit,
    )
}

pub fn world_with<B: MessageSigner, C: MessageSigner>(
    broker: B,
    customer: C,
    credit_limit: u64,
) -> World<B, C> {
    let broker_id = BrokerId::from_bytes([3; 32]);
    let cert = Certificate::issue(
        CertificateFields {
            broker: broker_id,
            serial: 7,
            customer: CustomerId::from_bytes([4; 16]),
            customer_key: customer.public_key(),
            credit_limit,
            valid_from: NOW - 1000,
            expires: NOW + 100_000,
        },
        &broker,
    )
    .unwrap();
    World {
        broker,
        customer,
        broker_id,
        vendor: VendorId::from_bytes([5; 32]),
        cert,
    }
}

pub fn broker(w: &World<impl MessageSigner, impl MessageSigner>) -> Broker {
    Broker::new(w.broker_id, w.broker.public_key(), MemoryStore::new(), 60)
}

pub fn broker_on<S: Store>(
    w: &World<impl MessageSigner, impl MessageSigner>,
    store: S,
) -> Broker<S> {
    Broker::new(w.broker_id, w.broker.public_key(), store, 60)
}

pub fn params(byte: u8, n: u32) -> ChainParams {
    ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([byte; 16]), n.into()).unwrap()
}

/// A cascade claim of `payments` one-unit payments of value `unit_value`
/// over chains of length 10 (renewed as they run out).
pub fn cascade(
    w: &World<impl MessageSigner, impl MessageSigner>,
    byte: u8,
    unit_value: u64,
    payments: u32,
) -> CascadeClaim {
    cascade_session(w, byte, unit_value, payments)
        .cascade()
        .unwrap()
}

/// The vendor's session behind [`cascade`]: `payments` one-unit payments
/// over chains of length 10, renewed as they run out.
pub fn cascade_session(
    w: &World<impl MessageSigner, impl MessageSigner>,
    byte: u8,
    unit_value: u64,
    payments: u32,
) -> Session {
    let mut wallet =
        RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([byte; 32]), params(byte, 10), 0)
            .unwrap();
    let commitment = Commitment::sign(
        CommitmentFields {
            certificate: w.cert.digest(),
            vendor: w.vendor,
            unit_value,
            valid_from: NOW - 10,
            expires: NOW + 10_000,
            chain: wallet.committed_chain(),
            renewal: Some(wallet.renewal_key()),
        },
        &w.customer,
    )
    .unwrap();
    wallet.bind(&commitment).unwrap();
    let mut session =
        Session::open(w.vendor, &w.broker.public_key(), w.cert, commitment, NOW, 0).unwrap();
    for _ in 0..payments {
        let out = wallet.pay().unwrap();
        if let Some(link) = &out.link {
            session.renew(link, NOW).unwrap();
        }
        session.pay(&out.payment, NOW).unwrap();
    }
    session
}

/// A plain commitment (no renewal) with `units` paid, as a claim.
pub fn plain(
    w: &World<impl MessageSigner, impl MessageSigner>,
    byte: u8,
    unit_value: u64,
    units: u32,
) -> RedemptionClaim {
    plain_at(w, byte, unit_value, units, NOW - 10, NOW + 10_000)
}

/// [`plain`] with the commitment valid over `[valid_from, expires]`.
pub fn plain_at(
    w: &World<impl MessageSigner, impl MessageSigner>,
    byte: u8,
    unit_value: u64,
    units: u32,
    valid_from: u64,
    expires: u64,
) -> RedemptionClaim {
    let p = params(byte, 100);
    let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([byte; 32]), p).unwrap();
    let commitment = Commitment::sign(
        CommitmentFields {
            certificate: w.cert.digest(),
            vendor: w.vendor,
            unit_value,
            valid_from,
            expires,
            chain: CommittedChain::Single {
                params: p,
                anchor: wallet.anchor(),
            },
            renewal: None,
        },
        &w.customer,
    )
    .unwrap();
    let top = wallet.advance(units).unwrap();
    RedemptionClaim {
        certificate: w.cert,
        commitment,
        payment: Payment::new(commitment.digest(), PaymentBody::Single(top)),
    }
}

/// A leaf claim (one-leaf tree, leaf cap `cap`, root total `cap`) with
/// `units` paid at unit value 1.
pub fn leaf(
    w: &World<impl MessageSigner, impl MessageSigner>,
    byte: u8,
    cap: u64,
    units: u32,
) -> LeafClaim {
    let p = params(byte, 100);
    let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([byte; 32]), p).unwrap();
    let leaf = Leaf {
        vendor: w.vendor,
        unit_value: 1,
        cap,
        chain: CommittedChain::Single {
            params: p,
            anchor: wallet.anchor(),
        },
    };
    let tree = MerkleTree::build(
        w.cert.digest(),
        ChainId::from_bytes([byte ^ 0x80; 16]),
        vec![leaf],
    )
    .unwrap();
    let root = MultiCommitment::sign(tree.fields(NOW - 10, NOW + 10_000), &w.customer).unwrap();
    let opening = tree.opening(&root, 0).unwrap();
    let top = wallet.advance(units).unwrap();
    LeafClaim {
        certificate: w.cert,
        opening,
        payment: Payment::new(opening.leaf_id(), PaymentBody::Single(top)),
    }
}

/// A grant claim: paywords `(0, 100]` of a shared chain granted to the
/// vendor, `units` of them paid.
pub fn grant(
    w: &World<impl MessageSigner, impl MessageSigner>,
    byte: u8,
    units: u32,
) -> GrantClaim {
    grant_range(w, byte, 0, 100, units)
}

/// A grant of paywords `(from, to]` of the shared chain of [`grant`]`(w,
/// byte, …)`, with `units` of them paid.
pub fn grant_range(
    w: &World<impl MessageSigner, impl MessageSigner>,
    byte: u8,
    from: u32,
    to: u32,
    units: u32,
) -> GrantClaim {
    let p = params(byte, 100);
    let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([byte; 32]), p).unwrap();
    let shared = SharedCommitment::sign(
        SharedCommitmentFields {
            certificate: w.cert.digest(),
            unit_value: 1,
            valid_from: NOW - 10,
            expires: NOW + 10_000,
            params: p,
            anchor: wallet.anchor(),
        },
        &w.customer,
    )
    .unwrap();
    let start = if from == 0 {
        shared.fields().anchor.as_word()
    } else {
        *wallet.advance(from).unwrap().word()
    };
    let g = RangeGrant::sign(
        RangeGrantFields {
            commitment: shared.digest(),
            vendor: w.vendor,
            from,
            to,
            start,
        },
        &w.customer,
    )
    .unwrap();
    GrantClaim {
        certificate: w.cert,
        commitment: shared,
        grant: g,
        payword: wallet.advance(units).unwrap(),
    }
}

/// A device claim: one device of a domain (limits `device_limit` and
/// `domain_limit`), `units` paid at unit value 1.
pub fn device(
    w: &World<impl MessageSigner, impl MessageSigner>,
    byte: u8,
    device_limit: u64,
    domain_limit: u64,
    units: u32,
) -> DeviceClaim {
    let phone = SigningKey::from_bytes(&[byte; 32]);
    device_with(w, &phone, byte, device_limit, domain_limit, units)
}

/// As [`device`], with the device's key `phone`.
pub fn device_with(
    w: &World<impl MessageSigner, impl MessageSigner>,
    phone: &impl MessageSigner,
    byte: u8,
    device_limit: u64,
    domain_limit: u64,
    units: u32,
) -> DeviceClaim {
    let p = params(byte, 100);
    let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([byte; 32]), p).unwrap();
    let domain = DomainCommitment::sign(
        DomainCommitmentFields::new(
            w.cert.digest(),
            ChainId::from_bytes([byte ^ 0x40; 16]),
            domain_limit,
            device_limit,
            NOW - 10,
            NOW + 10_000,
            &[phone.public_key()],
        )
        .unwrap(),
        &w.customer,
    )
    .unwrap();
    let commitment = DeviceCommitment::sign(
        DeviceCommitmentFields {
            domain: domain.digest(),
            device: 0,
            vendor: w.vendor,
            unit_value: 1,
            valid_from: NOW - 10,
            expires: NOW + 10_000,
            chain: CommittedChain::Single {
                params: p,
                anchor: wallet.anchor(),
            },
        },
        phone,
    )
    .unwrap();
    let top = wallet.advance(units).unwrap();
    DeviceClaim {
        certificate: w.cert,
        domain,
        commitment,
        payment: Payment::new(commitment.digest(), PaymentBody::Single(top)),
    }
}

/// One redemption of any kind.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)] // test values, built once each
pub enum Op {
    Plain(RedemptionClaim),
    Cascade(CascadeClaim),
    Leaf(LeafClaim),
    Grant(GrantClaim),
    Device(DeviceClaim),
}

impl Op {
    /// Redeems it; returns what was owed, or the error as text (store
    /// failures included).
    pub fn run<S: Store>(
        &self,
        b: &mut Broker<S>,
        w: &World<impl MessageSigner, impl MessageSigner>,
    ) -> Result<u64, String> {
        let v = &w.vendor;
        match self {
            Self::Plain(c) => b
                .redeem(c, v, NOW)
                .map(|r| r.owed)
                .map_err(|e| e.to_string()),
            Self::Cascade(c) => b
                .redeem_cascade(c, v, NOW)
                .map(|r| r.owed)
                .map_err(|e| e.to_string()),
            Self::Leaf(c) => b
                .redeem_leaf(c, v, NOW)
                .map(|r| r.owed)
                .map_err(|e| e.to_string()),
            Self::Grant(c) => b
                .redeem_grant(c, v, NOW)
                .map(|r| r.owed)
                .map_err(|e| e.to_string()),
            Self::Device(c) => b
                .redeem_device(c, v, NOW)
                .map(|r| r.owed)
                .map_err(|e| e.to_string()),
        }
    }

    /// The value the claim's paywords are worth (before any limit).
    pub fn value(&self) -> u64 {
        match self {
            Self::Plain(c) => match c.payment.body() {
                PaymentBody::Single(p) => u64::from(p.index()) * c.commitment.fields().unit_value,
                PaymentBody::Purse(_) => 0,
            },
            Self::Cascade(c) => {
                let unit = c.commitment.fields().unit_value;
                let first = c.first.map_or(0, |p| u64::from(p.index()));
                let rest: u64 = c
                    .renewals
                    .iter()
                    .map(|r| r.last.map_or(0, |p| u64::from(p.index())))
                    .sum();
                (first + rest) * unit
            }
            Self::Leaf(c) => match c.payment.body() {
                PaymentBody::Single(p) => u64::from(p.index()).min(c.opening.leaf.cap),
                PaymentBody::Purse(_) => 0,
            },
            Self::Grant(c) => u64::from(c.payword.index()),
            Self::Device(c) => match c.payment.body() {
                PaymentBody::Single(p) => {
                    let df = c.domain.fields();
                    u64::from(p.index())
                        .min(df.device_limit)
                        .min(df.domain_limit)
                }
                PaymentBody::Purse(_) => 0,
            },
        }
    }
}

/// A purse commitment (denominations `10^0 … 10^(m-1)`, chains of `n`)
/// over hash `H` (`alg`), valid `[NOW, NOW + 60]`, and the customer's purse.
pub fn purse<H: payword::TweakableHash>(
    w: &World<impl MessageSigner, impl MessageSigner>,
    alg: HashAlg,
    byte: u8,
    (m, n): (u8, u64),
    unit_value: u64,
) -> (Commitment, payword::Purse<H>) {
    let params = payword::PurseParams::new(alg, ChainId::from_bytes([byte; 16]), 10, m, n).unwrap();
    let purse = payword::Purse::<H>::new(&ChainSeed::from_bytes([byte; 32]), params).unwrap();
    let c = Commitment::sign(
        CommitmentFields {
            certificate: w.cert.digest(),
            vendor: w.vendor,
            unit_value,
            valid_from: NOW,
            expires: NOW + 60,
            chain: CommittedChain::Purse {
                params,
                anchors: purse.anchors(),
            },
            renewal: None,
        },
        &w.customer,
    )
    .unwrap();
    (c, purse)
}
