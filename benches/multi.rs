//! Benchmarks of the multi-merchant variants: leaf verification (Merkle path
//! to a signed root), grant verification and fraud-proof verification, each
//! group next to its floor (one Ed25519 verification of a message digest, and
//! one Merkle node hash) so the figures read as ratios.
//!
//! Run with `cargo bench --bench multi`; costs as exact counts are in
//! `docs/COSTS.md`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ed25519_dalek::SigningKey;
use payword::domain::{
    DeviceCommitment, DeviceCommitmentFields, DomainCommitment, DomainCommitmentFields,
};
use payword::fraud::{DomainOverspendProof, FraudProof};
use payword::fraud::{EquivocationProof, OpenedLeaf, OvercommitProof};
use payword::grant::{
    GrantSession, RangeGrant, RangeGrantFields, SharedCommitment, SharedCommitmentFields,
};
use payword::tree::{Leaf, LeafSession, MerkleTree, MultiCommitment};
use payword::{
    Anchor, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed,
    CommittedChain, CustomerId, Digest, HashAlg, MessageSigner, PaymentBody, Sha256, StoreAll,
    Traversal, VendorId, Word,
};

fn ok<T, E: core::fmt::Debug>(r: Result<T, E>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => unreachable!("bench setup failed: {e:?}"),
    }
}

struct Setup {
    broker: SigningKey,
    customer: SigningKey,
    cert: Certificate,
}

fn setup() -> Setup {
    let broker = SigningKey::from_bytes(&[1; 32]);
    let customer = SigningKey::from_bytes(&[2; 32]);
    let cert = ok(Certificate::issue(
        CertificateFields {
            broker: BrokerId::from_bytes([1; 32]),
            serial: 1,
            customer: CustomerId::from_bytes([3; 16]),
            customer_key: customer.public_key(),
            credit_limit: 1 << 40,
            valid_from: 0,
            expires: 1 << 40,
        },
        &broker,
    ));
    Setup {
        broker,
        customer,
        cert,
    }
}

fn leaves(k: u32) -> Vec<Leaf> {
    (0..k)
        .map(|v| Leaf {
            vendor: VendorId::from_bytes([(v % 251) as u8; 32]),
            unit_value: 1,
            cap: 10,
            chain: CommittedChain::Single {
                params: ok(ChainParams::new(
                    HashAlg::Sha256,
                    ChainId::from_bytes([(v % 253) as u8; 16]),
                    1000,
                )),
                anchor: Anchor::from_bytes([(v % 255) as u8; 32]),
            },
        })
        .collect()
}

fn tree(s: &Setup, k: u32, total: Option<u64>) -> (MerkleTree, MultiCommitment) {
    let t = ok(MerkleTree::build(
        s.cert.digest(),
        ChainId::from_bytes([9; 16]),
        leaves(k),
    ));
    let mut f = t.fields(0, 1 << 40);
    if let Some(total) = total {
        f.total_cap = total;
    }
    let root = ok(MultiCommitment::sign(f, &s.customer));
    (t, root)
}

fn floor(c: &mut Criterion) {
    let s = setup();
    let d = Digest::from_bytes([7; 32]);
    let sig = ok(s.customer.sign_digest(&d));
    let pk = s.customer.public_key();
    let mut g = c.benchmark_group("floor");
    g.throughput(Throughput::Elements(1));
    g.bench_function("ed25519_verify", |b| {
        b.iter(|| black_box(pk.verify(black_box(&d), black_box(&sig))));
    });
    g.finish();
}

fn leaf_verification(c: &mut Criterion) {
    let s = setup();
    let mut g = c.benchmark_group("leaf_verification");
    g.throughput(Throughput::Elements(1));
    for k in [3u32, 16, 1024, 1 << 16] {
        let (t, root) = tree(&s, k, None);
        let opening = ok(t.opening(&root, k - 1).ok_or("leaf"));
        g.bench_with_input(BenchmarkId::new("path", k), &opening, |b, o| {
            b.iter(|| black_box(o.check_path()));
        });
        if k == 3 || k == 1024 {
            let pk = s.broker.public_key();
            let vendor = opening.leaf.vendor;
            g.bench_with_input(BenchmarkId::new("open_session", k), &opening, |b, o| {
                b.iter(|| black_box(LeafSession::open(vendor, &pk, s.cert, *o, 1, 0)));
            });
        }
    }
    g.finish();
}

fn shared(s: &Setup) -> SharedCommitment {
    ok(SharedCommitment::sign(
        SharedCommitmentFields {
            certificate: s.cert.digest(),
            unit_value: 1,
            valid_from: 0,
            expires: 1 << 40,
            params: ok(ChainParams::new(
                HashAlg::Sha256,
                ChainId::from_bytes([4; 16]),
                1000,
            )),
            anchor: Anchor::from_bytes([0; 32]),
        },
        &s.customer,
    ))
}

fn grant(s: &Setup, sc: &SharedCommitment, v: u8, from: u32, to: u32) -> RangeGrant {
    ok(RangeGrant::sign(
        RangeGrantFields {
            commitment: sc.digest(),
            vendor: VendorId::from_bytes([v; 32]),
            from,
            to,
            start: Word::from_bytes([if from == 0 { 0 } else { 5 }; 32]),
        },
        &s.customer,
    ))
}

fn grant_verification(c: &mut Criterion) {
    let s = setup();
    let sc = shared(&s);
    let g1 = grant(&s, &sc, 1, 100, 200);
    let pk = s.customer.public_key();
    let broker = s.broker.public_key();
    let mut g = c.benchmark_group("grant_verification");
    g.throughput(Throughput::Elements(1));
    g.bench_function("grant_signature", |b| {
        b.iter(|| black_box(black_box(&g1).verify(&pk)));
    });
    g.bench_function("open_session", |b| {
        b.iter(|| {
            black_box(GrantSession::open(
                VendorId::from_bytes([1; 32]),
                &broker,
                s.cert,
                sc,
                g1,
                1,
                0,
            ))
        });
    });
    g.finish();
}

fn fraud_proof_verification(c: &mut Criterion) {
    let s = setup();
    let sc = shared(&s);
    let broker = s.broker.public_key();
    let eq = FraudProof::Equivocation(EquivocationProof {
        certificate: s.cert,
        commitment: sc,
        first: grant(&s, &sc, 1, 0, 100),
        second: grant(&s, &sc, 2, 50, 150),
    });
    let mut g = c.benchmark_group("fraud_proof_verification");
    g.throughput(Throughput::Elements(1));
    g.bench_function("equivocation", |b| {
        b.iter(|| black_box(black_box(&eq).verify(&broker, 0)));
    });
    for (k, m) in [(4u32, 2u32), (1024, 8), (1024, 64)] {
        let (t, root) = tree(&s, k, Some(1));
        let oc = FraudProof::Overcommit(OvercommitProof {
            certificate: s.cert,
            commitment: root,
            leaves: (0..m)
                .map(|j| {
                    let o = ok(t.opening(&root, j).ok_or("leaf"));
                    OpenedLeaf {
                        index: j,
                        leaf: o.leaf,
                        path: o.path,
                    }
                })
                .collect(),
        });
        g.bench_with_input(
            BenchmarkId::new("overcommit", format!("k{k}_m{m}")),
            &oc,
            |b, p| {
                b.iter(|| black_box(p.verify(&broker, 0)));
            },
        );
    }
    // A domain overspent by one device: 3 signatures and 40 chain steps.
    let phone = SigningKey::from_bytes(&[8; 32]);
    let domain = ok(DomainCommitment::sign(
        ok(DomainCommitmentFields::new(
            s.cert.digest(),
            ChainId::from_bytes([5; 16]),
            100,
            20,
            0,
            1 << 40,
            &[phone.public_key()],
        )),
        &s.customer,
    ));
    let params = ok(ChainParams::new(
        HashAlg::Sha256,
        ChainId::from_bytes([6; 16]),
        40,
    ));
    let mut wallet = ok(StoreAll::<Sha256>::new(
        &ChainSeed::from_bytes([7; 32]),
        params,
    ));
    let anchor = wallet.anchor();
    let top = ok(wallet.nth(39).ok_or("chain"));
    let dc = ok(DeviceCommitment::sign(
        DeviceCommitmentFields {
            domain: domain.digest(),
            device: 0,
            vendor: VendorId::from_bytes([1; 32]),
            unit_value: 1,
            valid_from: 0,
            expires: 1 << 40,
            chain: CommittedChain::Single { params, anchor },
        },
        &phone,
    ));
    let dp = FraudProof::DomainOverspent(DomainOverspendProof {
        certificate: s.cert,
        domain,
        spent: vec![(dc, PaymentBody::Single(top))],
    });
    g.bench_function("domain_overspent", |b| {
        b.iter(|| black_box(black_box(&dp).verify(&broker, 1 << 16)));
    });
    g.finish();
}

criterion_group!(
    benches,
    floor,
    leaf_verification,
    grant_verification,
    fraud_proof_verification
);
criterion_main!(benches);
