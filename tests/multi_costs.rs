#![cfg(feature = "ed25519")]
//! Exact per-party costs of the multi-merchant variants next to plain PayWord
//! with one commitment per vendor: the numbers of `docs/COSTS.md`.
//!
//! Hashes are counted with `Counting<Sha256>` (which computes the same hashes
//! as `Sha256`); signatures made are counted by a wrapping signer; bytes are
//! the canonical encodings. Signature verifications are structural (each
//! session or redemption verifies a fixed set of signatures, listed in the
//! docs of `LeafSession::open`, `GrantSession::open`, `Broker::redeem_leaf`,
//! `Broker::redeem_grant`, `FraudProof::verify`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::Cell;

use ed25519_dalek::SigningKey;
use payword::fraud::FraudProof;
use payword::fraud::{EquivocationProof, OpenedLeaf, OvercommitProof};
use payword::grant::{
    GrantClaim, RangeGrant, RangeGrantFields, SharedCommitment, SharedCommitmentFields,
};
use payword::reservation::{Reservation, ReservationFields};
use payword::tree::depth_for;
use payword::tree::{Leaf, LeafClaim, MerkleTree, MultiCommitment};
use payword::{
    Anchor, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CommittedChain, Counting, CustomerId, Digest, Encode, HashAlg, MessageSigner,
    OverspendProof, Payment, PaymentBody, Payword, PublicKey, Receiver, RedemptionClaim, Sha256,
    Signature, SignatureError, StoreAll, Traversal, VendorId,
};

const N: u32 = 1000;
const UNITS: u32 = 100;

/// A signer that counts the signatures it makes.
struct CountingSigner {
    key: SigningKey,
    made: Cell<u32>,
}

impl MessageSigner for CountingSigner {
    fn public_key(&self) -> PublicKey {
        self.key.public_key()
    }
    fn sign_digest(&self, digest: &Digest) -> Result<Signature, SignatureError> {
        self.made.set(self.made.get() + 1);
        self.key.sign_digest(digest)
    }
}

fn signer(b: u8) -> CountingSigner {
    CountingSigner {
        key: SigningKey::from_bytes(&[b; 32]),
        made: Cell::new(0),
    }
}

fn certificate(broker: &CountingSigner, customer: &CountingSigner) -> Certificate {
    Certificate::issue(
        CertificateFields {
            broker: BrokerId::from_bytes([1; 32]),
            serial: 1,
            customer: CustomerId::from_bytes([2; 16]),
            customer_key: customer.public_key(),
            credit_limit: 1 << 40,
            valid_from: 0,
            expires: 1 << 40,
        },
        broker,
    )
    .unwrap()
}

fn params(tag: u8) -> ChainParams {
    ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([tag; 16]), N.into()).unwrap()
}

/// Customer hashes to make a chain of `N` and its anchor (store-all).
fn chain_setup(tag: u8) -> (StoreAll<Counting<Sha256>>, u64) {
    let (w, c) = Counting::<Sha256>::measure(|| {
        StoreAll::<Counting<Sha256>>::new(&ChainSeed::from_bytes([tag; 32]), params(tag)).unwrap()
    });
    (w, c.total())
}

/// Vendor hashes to verify `UNITS` one-unit payments from `start`.
fn vendor_payments(wallet: &mut StoreAll<Counting<Sha256>>, start: Payword, p: ChainParams) -> u64 {
    let mut r = Receiver::<Counting<Sha256>>::resume(p, start).unwrap();
    let words: Vec<Payword> = wallet.by_ref().take(UNITS as usize).collect();
    let ((), c) = Counting::<Sha256>::measure(|| {
        for w in &words {
            assert_eq!(r.accept(w), Ok(1));
        }
    });
    c.total()
}

fn leaf(v: u8, anchor: Anchor) -> Leaf {
    Leaf {
        vendor: VendorId::from_bytes([v; 32]),
        unit_value: 1,
        cap: N.into(),
        chain: CommittedChain::Single {
            params: params(v),
            anchor,
        },
    }
}

#[test]
fn plain_payword_one_commitment_per_vendor() {
    for k in [1u8, 3, 16] {
        let broker = signer(1);
        let customer = signer(2);
        let cert = certificate(&broker, &customer);
        let mut setup_hashes = 0;
        let mut sent = 0;
        let mut vendor_hashes = 0;
        let mut claim_len = 0;
        for v in 0..k {
            let (mut wallet, h) = chain_setup(v);
            setup_hashes += h;
            let c = Commitment::sign(
                CommitmentFields {
                    certificate: cert.digest(),
                    vendor: VendorId::from_bytes([v; 32]),
                    unit_value: 1,
                    valid_from: 0,
                    expires: 1 << 40,
                    chain: CommittedChain::Single {
                        params: params(v),
                        anchor: wallet.anchor(),
                    },
                    renewal: None,
                },
                &customer,
            )
            .unwrap();
            sent += cert.to_bytes().len() + c.to_bytes().len();
            let start = Payword::new(0, wallet.anchor().as_word());
            vendor_hashes = vendor_payments(&mut wallet, start, params(v));
            let claim = RedemptionClaim {
                certificate: cert,
                commitment: c,
                payment: Payment::new(
                    c.digest(),
                    PaymentBody::Single(Payword::new(1, *start.word())),
                ),
            };
            claim_len = claim.to_bytes().len();
        }
        let k64 = u64::from(k);
        assert_eq!(setup_hashes, k64 * u64::from(N + 1));
        assert_eq!(customer.made.get(), u32::from(k));
        assert_eq!(sent, usize::from(k) * (180 + 210));
        assert_eq!(vendor_hashes, u64::from(UNITS), "one chain step per unit");
        assert_eq!(claim_len, 463);
    }
}

#[test]
fn merkle_one_signature_for_k_vendors() {
    for k in [1u8, 3, 16] {
        let d = depth_for(k.into()).unwrap() as u64;
        let broker = signer(1);
        let customer = signer(2);
        let cert = certificate(&broker, &customer);
        let mut setup_hashes = 0;
        let mut wallets = Vec::new();
        let mut leaves = Vec::new();
        for v in 0..k {
            let (wallet, h) = chain_setup(v);
            setup_hashes += h;
            leaves.push(leaf(v, wallet.anchor()));
            wallets.push(wallet);
        }
        let (tree, tree_hashes) = Counting::<Sha256>::measure(|| {
            MerkleTree::build_with::<Counting<Sha256>>(
                cert.digest(),
                ChainId::from_bytes([9; 16]),
                leaves,
            )
            .unwrap()
        });
        let root = MultiCommitment::sign(tree.fields(0, 1 << 40), &customer).unwrap();
        let k64 = u64::from(k);
        assert_eq!(setup_hashes, k64 * u64::from(N + 1));
        // k leaf hashes and 2^d − 1 node hashes.
        assert_eq!(tree_hashes.parts, k64 + (1 << d) - 1);
        assert_eq!(customer.made.get(), 1, "one signature for all k vendors");
        assert_eq!(root.to_bytes().len(), 175);
        for (j, wallet) in wallets.iter_mut().enumerate() {
            let opening = tree.opening(&root, j as u32).unwrap();
            assert_eq!(opening.to_bytes().len() as u64, 284 + 32 * d);
            // Vendor: one leaf hash and d node hashes, once.
            let (id, c) =
                Counting::<Sha256>::measure(|| opening.check_path_with::<Counting<Sha256>>());
            assert_eq!(c.parts, 1 + d);
            assert_eq!(id.unwrap(), opening.leaf_id());
            let start = Payword::new(0, wallet.anchor().as_word());
            assert_eq!(
                vendor_payments(wallet, start, params(j as u8)),
                u64::from(UNITS)
            );
            let claim = LeafClaim {
                certificate: cert,
                opening,
                payment: Payment::new(
                    opening.leaf_id(),
                    PaymentBody::Single(Payword::new(1, *start.word())),
                ),
            };
            assert_eq!(claim.to_bytes().len() as u64, 537 + 32 * d);
        }
    }
}

#[test]
fn shared_chain_with_range_grants() {
    for k in [1u8, 3, 16] {
        let broker = signer(1);
        let customer = signer(2);
        let cert = certificate(&broker, &customer);
        let (mut wallet, setup_hashes) = chain_setup(0);
        let shared = SharedCommitment::sign(
            SharedCommitmentFields {
                certificate: cert.digest(),
                unit_value: 1,
                valid_from: 0,
                expires: 1 << 40,
                params: params(0),
                anchor: wallet.anchor(),
            },
            &customer,
        )
        .unwrap();
        let mut start = Payword::new(0, wallet.anchor().as_word());
        let per = N / u32::from(k);
        for v in 0..k {
            let from = u32::from(v) * per;
            let g = RangeGrant::sign(
                RangeGrantFields {
                    commitment: shared.digest(),
                    vendor: VendorId::from_bytes([v; 32]),
                    from,
                    to: from + per,
                    start: *start.word(),
                },
                &customer,
            )
            .unwrap();
            assert_eq!(g.to_bytes().len(), 171);
            // Opening a grant costs no hash; payments one step per unit.
            let units = UNITS.min(per);
            let mut r = Receiver::<Counting<Sha256>>::resume(params(0), start).unwrap();
            let words: Vec<Payword> = wallet.by_ref().take(units as usize).collect();
            let ((), c) = Counting::<Sha256>::measure(|| {
                for w in &words {
                    assert_eq!(r.accept(w), Ok(1));
                }
            });
            assert_eq!(c.total(), u64::from(units));
            let claim = GrantClaim {
                certificate: cert,
                commitment: shared,
                grant: g,
                payword: *words.last().unwrap(),
            };
            assert_eq!(claim.to_bytes().len(), 565);
            // Skip to the next vendor's start.
            let rest = (per - units) as usize;
            start = if rest == 0 {
                *words.last().unwrap()
            } else {
                wallet.by_ref().take(rest).last().unwrap()
            };
        }
        assert_eq!(setup_hashes, u64::from(N + 1), "one chain for all vendors");
        assert_eq!(customer.made.get(), 1 + u32::from(k));
        assert_eq!(shared.to_bytes().len(), 176);
        assert_eq!(cert.to_bytes().len() + shared.to_bytes().len() + 171, 527);
    }
}

#[test]
fn reservation_and_fraud_proof_sizes() {
    let broker = signer(1);
    let customer = signer(2);
    let cert = certificate(&broker, &customer);
    let r = Reservation::sign(
        ReservationFields {
            broker: BrokerId::from_bytes([1; 32]),
            certificate: cert.digest(),
            key: Digest::from_bytes([3; 32]),
            vendor: VendorId::from_bytes([4; 32]),
            amount: 10,
            expires: 10,
        },
        &broker,
    )
    .unwrap();
    assert_eq!(r.to_bytes().len(), 211);
    let shared = SharedCommitment::sign(
        SharedCommitmentFields {
            certificate: cert.digest(),
            unit_value: 1,
            valid_from: 0,
            expires: 1,
            params: params(0),
            anchor: Anchor::from_bytes([0; 32]),
        },
        &customer,
    )
    .unwrap();
    let g = |v: u8| {
        RangeGrant::sign(
            RangeGrantFields {
                commitment: shared.digest(),
                vendor: VendorId::from_bytes([v; 32]),
                from: 0,
                to: 5,
                start: payword::Word::from_bytes([0; 32]),
            },
            &customer,
        )
        .unwrap()
    };
    let eq = FraudProof::Equivocation(EquivocationProof {
        certificate: cert,
        commitment: shared,
        first: g(1),
        second: g(2),
    });
    assert_eq!(eq.to_bytes().len(), 701);
    // Overcommit with m leaves of a tree of depth 2.
    let leaves: Vec<Leaf> = (0..4)
        .map(|v| leaf(v, Anchor::from_bytes([v; 32])))
        .collect();
    let tree = MerkleTree::build(cert.digest(), ChainId::from_bytes([9; 16]), leaves).unwrap();
    let mut f = tree.fields(0, 1);
    f.total_cap = 1;
    let root = MultiCommitment::sign(f, &customer).unwrap();
    for m in 1..=4u32 {
        let p = FraudProof::Overcommit(OvercommitProof {
            certificate: cert,
            commitment: root,
            leaves: (0..m)
                .map(|j| {
                    let o = tree.opening(&root, j).unwrap();
                    OpenedLeaf {
                        index: j,
                        leaf: o.leaf,
                        path: o.path,
                    }
                })
                .collect(),
        });
        assert_eq!(p.to_bytes().len() as u32, 360 + m * (107 + 32 * 2));
        assert!(p.verify(&broker.public_key(), 0).is_ok());
    }
    // Overspent with m single-chain commitments.
    let c = Commitment::sign(
        CommitmentFields {
            certificate: cert.digest(),
            vendor: VendorId::from_bytes([4; 32]),
            unit_value: 1,
            valid_from: 0,
            expires: 1,
            chain: CommittedChain::Single {
                params: params(0),
                anchor: Anchor::from_bytes([0; 32]),
            },
            renewal: None,
        },
        &customer,
    )
    .unwrap();
    let body = PaymentBody::Single(Payword::new(1, payword::Word::from_bytes([0; 32])));
    for m in 0..3usize {
        let p = FraudProof::Overspent(OverspendProof {
            certificate: cert,
            spent: vec![(c, body); m],
        });
        assert_eq!(p.to_bytes().len(), 185 + 247 * m);
    }
}

#[test]
fn domain_accounts() {
    use payword::domain::{
        DeviceClaim, DeviceCommitment, DeviceCommitmentFields, DomainCommitment,
        DomainCommitmentFields,
    };
    for m in [1u8, 3, 16] {
        let broker = signer(1);
        let customer = signer(2);
        let devices: Vec<CountingSigner> = (0..m).map(|d| signer(0x40 + d)).collect();
        let cert = certificate(&broker, &customer);
        let keys: Vec<PublicKey> = devices.iter().map(MessageSigner::public_key).collect();
        let dom = DomainCommitment::sign(
            DomainCommitmentFields::new(
                cert.digest(),
                ChainId::from_bytes([1; 16]),
                100,
                10,
                0,
                1 << 40,
                &keys,
            )
            .unwrap(),
            &customer,
        )
        .unwrap();
        assert_eq!(
            customer.made.get(),
            1,
            "one customer signature for the whole domain"
        );
        assert_eq!(dom.to_bytes().len(), 148 + 33 * usize::from(m));
        let (wallet, setup) = chain_setup(0);
        assert_eq!(setup, u64::from(N + 1));
        let c = DeviceCommitment::sign(
            DeviceCommitmentFields {
                domain: dom.digest(),
                device: m - 1,
                vendor: VendorId::from_bytes([4; 32]),
                unit_value: 1,
                valid_from: 0,
                expires: 1,
                chain: CommittedChain::Single {
                    params: params(0),
                    anchor: wallet.anchor(),
                },
            },
            &devices[usize::from(m - 1)],
        )
        .unwrap();
        assert_eq!(
            devices[usize::from(m - 1)].made.get(),
            1,
            "one device signature per vendor"
        );
        assert_eq!(c.to_bytes().len(), 210);
        let claim = DeviceClaim {
            certificate: cert,
            domain: dom,
            commitment: c,
            payment: Payment::new(
                c.digest(),
                PaymentBody::Single(Payword::new(1, wallet.anchor().as_word())),
            ),
        };
        assert_eq!(claim.to_bytes().len(), 611 + 33 * usize::from(m));
    }
}

/// Customer storage with optimal pebbling: ⌈log₂ n⌉ words per chain; the
/// per-vendor variants keep k chains, the shared chain one.
#[test]
fn customer_words_stored() {
    let per_chain = payword::Pebbler::<Sha256>::new(&ChainSeed::from_bytes([1; 32]), params(1))
        .unwrap()
        .stored_words();
    assert_eq!(per_chain, 10, "⌈log₂ 1000⌉ words per chain");
}

#[test]
fn domain_overspent_proof_size() {
    use payword::domain::{
        DeviceCommitment, DeviceCommitmentFields, DomainCommitment, DomainCommitmentFields,
    };
    use payword::fraud::DomainOverspendProof;
    let broker = signer(1);
    let customer = signer(2);
    let phone = signer(3);
    let cert = certificate(&broker, &customer);
    for m in [1u8, 3] {
        let keys: Vec<PublicKey> = (0..m).map(|_| phone.public_key()).collect();
        let dom = DomainCommitment::sign(
            DomainCommitmentFields::new(
                cert.digest(),
                ChainId::from_bytes([1; 16]),
                1,
                1,
                0,
                1,
                &keys,
            )
            .unwrap(),
            &customer,
        )
        .unwrap();
        let c = DeviceCommitment::sign(
            DeviceCommitmentFields {
                domain: dom.digest(),
                device: 0,
                vendor: VendorId::from_bytes([4; 32]),
                unit_value: 1,
                valid_from: 0,
                expires: 1,
                chain: CommittedChain::Single {
                    params: params(0),
                    anchor: Anchor::from_bytes([0; 32]),
                },
            },
            &phone,
        )
        .unwrap();
        let body = PaymentBody::Single(Payword::new(1, payword::Word::from_bytes([0; 32])));
        for j in 0..3usize {
            let p = FraudProof::DomainOverspent(DomainOverspendProof {
                certificate: cert,
                domain: dom,
                spent: vec![(c, body); j],
            });
            assert_eq!(
                p.to_bytes().len(),
                185 + (148 + 33 * usize::from(m)) + 247 * j
            );
        }
    }
}
