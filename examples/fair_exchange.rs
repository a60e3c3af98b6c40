//! Fair exchange of digital goods, chunk by chunk:
//!
//! 1. the vendor prepares a 64 KiB file in 1 KiB chunks (Merkle tree and
//!    delivery chain) and signs **one** manifest for it;
//! 2. the customer commits once (Ed25519) to a self-renewing chain bound to
//!    the manifest; chains of 16 paywords renew by LM-OTS links, no further
//!    public-key signature;
//! 3. payword `i` first, then chunk `i`, checked against the signed root
//!    before payword `i + 1`: the exposure of each side is printed at every
//!    step (every step for the first few, then every 8th);
//! 4. the vendor's copy of chunk 60 has diverged from the published root:
//!    the customer stops, shows the bad-delivery proof to the broker, and the
//!    vendor's redemption is capped at the 59 good chunks although the
//!    customer released 60 paywords.
//!
//! Run with `cargo run --release --example fair_exchange`.

use ed25519_dalek::SigningKey;
use payword::goods::{Buyer, Content, ContentId, GoodsError, Manifest, Seller};
use payword::renew::RenewingWallet;
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CustomerId, Encode, HashAlg, MemoryStore, MessageSigner, Session, Sha256,
    VendorId,
};

const NOW: u64 = 1_700_000_000;
const DAY: u64 = 86_400;
const CHUNK: u32 = 1024;
const CHUNKS: usize = 64;
/// Price of one chunk.
const PRICE: u64 = 5;
/// Paywords per chain.
const CHAIN: u32 = 16;
/// The chunk whose stored copy diverged.
const BAD: u32 = 60;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file: Vec<u8> = (0..CHUNKS * CHUNK as usize)
        .map(|i| (i * 31 % 251) as u8)
        .collect();
    let broker_key = SigningKey::from_bytes(&[0xb0; 32]);
    let broker_id = BrokerId::from_bytes([0xb1; 32]);
    let vendor_key = SigningKey::from_bytes(&[0x70; 32]);
    let vendor_id = VendorId::from_bytes([0x71; 32]);
    let customer_key = SigningKey::from_bytes(&[0xc0; 32]);

    // 1. The vendor: the published content's root, and the chunks it serves
    //    (its stored chunk 60 is corrupt); one signature.
    let seed = ChainSeed::from_bytes([0xd5; 32]);
    let published = Content::new(
        ContentId::from_bytes([0xc1; 32]),
        CHUNK,
        file.clone(),
        &seed,
    )?;
    let served = published.tampered(BAD, vec![0; CHUNK as usize], &seed)?;
    let manifest = Manifest::sign(
        served.manifest_fields(vendor_id, vendor_key.public_key(), PRICE),
        &vendor_key,
    )?;
    println!(
        "[vendor]   manifest for {} chunks of {CHUNK} bytes, root {}…, {} bytes, 1 Ed25519 signature",
        served.chunks(),
        &manifest.fields().root.to_string()[..16],
        manifest.to_bytes().len()
    );

    // 2. The customer: checks the manifest, commits once.
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
    let mut buyer = Buyer::new(manifest, &vendor_key.public_key(), [0x4e; 16])?;
    let params = ChainParams::new(HashAlg::Sha256, buyer.chain_id(), CHAIN.into())?;
    let mut wallet = RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([0x5e; 32]), params, 0)?;
    let commitment = Commitment::sign(
        CommitmentFields {
            certificate: certificate.digest(),
            vendor: vendor_id,
            unit_value: PRICE,
            valid_from: NOW,
            expires: NOW + DAY,
            chain: wallet.committed_chain(),
            renewal: Some(wallet.renewal_key()),
        },
        &customer_key,
    )?;
    wallet.bind(&commitment)?;
    drop(customer_key);
    println!(
        "[customer] manifest verified; 1 Ed25519 signature: commitment bound to it (chains of {CHAIN}, renewed by LM-OTS)"
    );
    let session = Session::open(
        vendor_id,
        &broker_key.public_key(),
        certificate,
        commitment,
        NOW,
        60,
    )?;
    let mut seller = Seller::open(&served, manifest, session, buyer.nonce())?;

    // 3. Stream: payword i, then chunk i, checked before payword i + 1.
    println!(
        "\n  exposure after payword i → after chunk i (customer: units paid ahead; vendor: chunks sent unpaid)"
    );
    println!("  step | paid | received | customer exposure | vendor exposure | note");
    let mut received = Vec::with_capacity(file.len());
    let (mut max_customer, mut max_vendor) = (0u64, 0u64);
    let proof = loop {
        let i = buyer.authorize()?;
        let out = wallet.pay()?;
        let mut note = String::new();
        if let Some(link) = &out.link {
            seller.renew(link, NOW + 1)?;
            note = format!("chain {} renewed (LM-OTS link)", link.fields().generation);
        }
        seller.pay(&out.payment, NOW + 1)?;
        // Exposure after the payword, then after the chunk.
        let (customer_paid, vendor_paid) = (buyer.exposure(), seller.exposure());
        let delivery = seller.deliver()?;
        let vendor_sent = seller.exposure();
        let result = buyer.receive(&delivery);
        max_customer = max_customer.max(customer_paid).max(buyer.exposure());
        max_vendor = max_vendor.max(vendor_paid).max(vendor_sent);
        let show = i <= 4 || i % 8 == 0 || result.is_err() || !note.is_empty();
        if result.is_ok() {
            received.extend_from_slice(&delivery.chunk);
        }
        if show {
            if let Err(e) = &result {
                note = format!("{e}");
            }
            println!(
                "  {i:>4} | {:>4} | {:>8} | {:>17} | {:>15} | {note}",
                seller.paid(),
                buyer.received(),
                format!("{customer_paid} → {}", buyer.exposure()),
                format!("{vendor_paid} → {vendor_sent}"),
            );
        }
        match result {
            Ok(_) => {}
            Err(GoodsError::BadChunk { .. }) => {
                break buyer.bad_delivery_proof().ok_or("no proof")?.clone();
            }
            Err(e) => return Err(e.into()),
        }
        if buyer.is_complete() {
            return Err("the bad chunk was not caught".into());
        }
    };
    assert_eq!(received, file[..(BAD as usize - 1) * CHUNK as usize]);
    println!(
        "[stream]   {} chunks verified, {} paywords released; maximum exposure: customer {max_customer} unit, vendor {max_vendor} chunk",
        buyer.received(),
        seller.paid()
    );
    println!(
        "[customer] stops at chunk {BAD}: the vendor authenticated it (delivery word verifies) but it fails the signed root"
    );

    // 4. The broker: the proof first, then the vendor's cascade claim.
    let mut broker = Broker::new(broker_id, broker_key.public_key(), MemoryStore::new(), DAY);
    let bytes = proof.to_bytes();
    let bad = broker.report_bad_delivery(&proof, &vendor_key.public_key(), NOW + 2)?;
    println!(
        "[broker]   bad-delivery proof ({} bytes) verified and recorded: chunk {}, at most {} units owed",
        bytes.len(),
        bad.index,
        bad.units()
    );
    let claim = seller.session().cascade().ok_or("nothing to claim")?;
    let r = broker.redeem_cascade(&claim, &vendor_id, NOW + 2 * DAY)?;
    println!(
        "[broker]   cascade claim ({} chains, {} paywords released): owes the vendor {} = {} chunks × {PRICE}",
        r.chains,
        r.units,
        r.owed,
        r.owed / PRICE
    );
    assert_eq!(
        (r.units, r.owed),
        (u64::from(BAD), u64::from(BAD - 1) * PRICE)
    );
    println!(
        "[result]   customer paid for {} chunks and received {}: loss 0; vendor delivered {} and is paid for {}: loss 0 (the bad chunk earns nothing)",
        r.owed / PRICE,
        buyer.received(),
        seller.delivered(),
        r.owed / PRICE
    );
    Ok(())
}
