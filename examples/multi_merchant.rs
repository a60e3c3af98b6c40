//! One customer pays three vendors under one signature, then tries to
//! double-spend and is caught with a proof that a separate verifier checks.
//!
//! 1. The broker issues a certificate.
//! 2. The customer builds a Merkle tree with one leaf per vendor (vendor id,
//!    chain anchor, cap) and signs its root once (PayTree).
//! 3. Each vendor checks the signed root, its leaf and the 2-hash
//!    authentication path, then takes payments exactly as in plain PayWord.
//!    Reusing one vendor's paywords at another vendor is refused: the leaves
//!    bind the vendors.
//! 4. The broker redeems the three leaves.
//! 5. The customer then commits a shared chain and signs range grants to two
//!    vendors that overlap (the same paywords sold twice). The broker pays
//!    both vendors and returns an equivocation proof; a verifier that holds
//!    only the broker's public key and the proof's bytes checks it and learns
//!    which customer cheated.
//!
//! Run with `cargo run --release --example multi_merchant`.

use ed25519_dalek::SigningKey;
use payword::fraud::FraudProof;
use payword::grant::{
    GrantSession, RangeGrant, RangeGrantFields, SharedCommitment, SharedCommitmentFields,
};
use payword::tree::{Leaf, LeafSession, MerkleTree, MultiCommitment};
use payword::{
    Anchor, Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed,
    CommittedChain, CustomerId, Encode, HashAlg, MemoryStore, MessageSigner, Payment, PaymentBody,
    Payword, PublicKey, Sha256, StoreAll, Traversal, VendorId,
};

const NOW: u64 = 1_700_000_000;
const DAY: u64 = 86_400;
const N: u32 = 1_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let broker_key = SigningKey::from_bytes(&[0xb0; 32]);
    let customer_key = SigningKey::from_bytes(&[0xc0; 32]);
    let broker_id = BrokerId::from_bytes([0xb1; 32]);
    let vendors = [0x71, 0x72, 0x73].map(|b| VendorId::from_bytes([b; 32]));

    // 1. Certificate.
    let certificate = Certificate::issue(
        CertificateFields {
            broker: broker_id,
            serial: 1,
            customer: CustomerId::from_bytes([0xcc; 16]),
            customer_key: customer_key.public_key(),
            credit_limit: 100_000,
            valid_from: NOW - DAY,
            expires: NOW + 30 * DAY,
        },
        &broker_key,
    )?;

    // 2. One chain per vendor, one leaf each, one signature over the root.
    let mut wallets = Vec::new();
    let mut leaves = Vec::new();
    for (j, v) in vendors.iter().enumerate() {
        let params = ChainParams::new(
            HashAlg::Sha256,
            ChainId::from_bytes([j as u8; 16]),
            N.into(),
        )?;
        let wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([0x50 + j as u8; 32]), params)?;
        leaves.push(Leaf {
            vendor: *v,
            unit_value: 1,
            cap: 500,
            chain: CommittedChain::Single {
                params,
                anchor: wallet.anchor(),
            },
        });
        wallets.push(wallet);
    }
    let tree = MerkleTree::build(
        certificate.digest(),
        ChainId::from_bytes([0xee; 16]),
        leaves,
    )?;
    let root = MultiCommitment::sign(tree.fields(NOW, NOW + DAY), &customer_key)?;
    println!(
        "[customer] signed one Merkle root over 3 vendors (total cap {}, {} bytes)",
        root.fields().total_cap,
        root.to_bytes().len()
    );

    // 3. Vendors open their leaves and take payments.
    let mut broker = Broker::new(broker_id, broker_key.public_key(), MemoryStore::new(), DAY);
    let mut sessions = Vec::new();
    for (j, v) in vendors.iter().enumerate() {
        let opening = tree.opening(&root, j as u32).ok_or("no such leaf")?;
        let session =
            LeafSession::open(*v, &broker_key.public_key(), certificate, opening, NOW, 60)?;
        println!(
            "[vendor {j}] accepted its leaf: {} bytes, path of {} hashes, 2 signatures verified",
            opening.to_bytes().len(),
            opening.path.len()
        );
        sessions.push(session);
    }
    for (j, (session, wallet)) in sessions.iter_mut().zip(wallets.iter_mut()).enumerate() {
        let units = 100 * (j + 1);
        for p in wallet.by_ref().take(units) {
            session.pay(
                &Payment::new(*session.leaf_id(), PaymentBody::Single(p)),
                NOW + 1,
            )?;
        }
        println!("[customer] paid vendor {j} {units} units, one hash each");
    }
    // A payword of vendor 0's chain offered to vendor 1 is refused by
    // construction: it is not on vendor 1's leaf.
    let p = wallets[0].nth(250).ok_or("wallet exhausted")?;
    let stolen = Payment::new(*sessions[1].leaf_id(), PaymentBody::Single(p));
    match sessions[1].pay(&stolen, NOW + 1) {
        Err(e) => println!("[vendor 1] refused vendor 0's paywords: {e}"),
        Ok(_) => return Err("vendor 1 accepted another leaf's paywords".into()),
    }

    // 4. Redemption.
    for (j, (session, v)) in sessions.iter().zip(&vendors).enumerate() {
        let claim = session.claim().ok_or("nothing to claim")?;
        let r = broker.redeem_leaf(&claim, v, NOW + DAY)?;
        println!(
            "[broker]   vendor {j}: owes {} ({} units), no fraud: {}",
            r.owed,
            r.units,
            r.fraud.is_none()
        );
    }

    // 5. The double spend: one shared chain, overlapping grants to two vendors.
    let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0xdd; 16]), N.into())?;
    let mut wallet = StoreAll::<Sha256>::new(&ChainSeed::from_bytes([0xdd; 32]), params)?;
    let anchor: Anchor = wallet.anchor();
    let shared = SharedCommitment::sign(
        SharedCommitmentFields {
            certificate: certificate.digest(),
            unit_value: 1,
            valid_from: NOW,
            expires: NOW + DAY,
            params,
            anchor,
        },
        &customer_key,
    )?;
    let words: Vec<Payword> = wallet.by_ref().take(200).collect();
    let grant = |v: VendorId| {
        RangeGrant::sign(
            RangeGrantFields {
                commitment: shared.digest(),
                vendor: v,
                from: 0,
                to: 200,
                start: anchor.as_word(),
            },
            &customer_key,
        )
    };
    let mut proof = None;
    for (j, v) in vendors.iter().enumerate().take(2) {
        let g = grant(*v)?;
        let mut s = GrantSession::open(
            *v,
            &broker_key.public_key(),
            certificate,
            shared,
            g,
            NOW,
            60,
        )?;
        for p in &words {
            s.pay(
                &Payment::new(*s.grant_id(), PaymentBody::Single(*p)),
                NOW + 1,
            )?;
        }
        println!(
            "[customer] sold paywords 1..=200 of the shared chain to vendor {j} ({} bytes of grant)",
            g.to_bytes().len()
        );
        let r = broker.redeem_grant(&s.claim().ok_or("nothing to claim")?, v, NOW + DAY)?;
        println!("[broker]   vendor {j}: owes {}", r.owed);
        proof = proof.or(r.fraud);
    }
    let proof = proof.ok_or("the double spend went unnoticed")?;
    let bytes = proof.to_bytes();
    println!("[broker]   {proof}: {} bytes", bytes.len());

    // A separate verifier: only the proof's bytes and the broker's public key.
    let culprit = verify_offline(&bytes, &broker_key.public_key())?;
    println!("[verifier] proof checks out: customer {culprit} double-spent");
    Ok(())
}

/// What a third party runs: decode, verify, name the customer.
fn verify_offline(
    bytes: &[u8],
    broker: &PublicKey,
) -> Result<CustomerId, Box<dyn std::error::Error>> {
    let proof = FraudProof::decode(bytes)?;
    Ok(proof.verify(broker, 1 << 20)?)
}
