//! Digital goods over self-renewing chains:
//!
//! 1. the broker certifies a customer; the customer signs **one** commitment
//!    (Ed25519) that binds the first chain and its one-time (LM-OTS) key, then
//!    drops its Ed25519 key;
//! 2. a vendor streams a file in chunks; the customer pays one payword per
//!    chunk, before the chunk is sent (so the customer risks at most one unit,
//!    the vendor none);
//! 3. chains hold 1,000 paywords; the customer's wallet renews every 1,000
//!    chunks with a renewal link signed by the one-time key of the chain that
//!    ends, and the vendor follows it with no signature from anyone else;
//! 4. the vendor redeems the whole cascade (commitment, links, last payword of
//!    each chain) in one claim.
//!
//! Run with `cargo run --release --example digital_goods`.

use std::time::Instant;

use ed25519_dalek::SigningKey;
use payword::renew::{CascadeClaim, RenewingWallet};
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CustomerId, Encode, HashAlg, MemoryStore, MessageSigner, Session, Sha256,
    VendorId,
};

const NOW: u64 = 1_700_000_000;
const DAY: u64 = 86_400;
/// Paywords per chain: the wallet renews every `CHAIN` chunks.
const CHAIN: u32 = 1_000;
/// The file: 5,500 chunks of 1 KiB.
const CHUNK: usize = 1024;
const CHUNKS: usize = 5_500;
/// Price of one chunk, in the certificate's value units.
const PRICE: u64 = 2;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let file: Vec<u8> = (0..CHUNKS * CHUNK).map(|i| (i % 251) as u8).collect();

    // Fixed keys and seeds for a reproducible run; use a CryptoRng in practice.
    let broker_key = SigningKey::from_bytes(&[0xb0; 32]);
    let broker_id = BrokerId::from_bytes([0xb1; 32]);
    let vendor_id = VendorId::from_bytes([0x71; 32]);
    let customer_key = SigningKey::from_bytes(&[0xc0; 32]);
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

    // 1. One commitment, one public-key signature.
    let params = ChainParams::new(
        HashAlg::Sha256,
        ChainId::from_bytes([0x42; 16]),
        CHAIN.into(),
    )?;
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
    // From here on the customer cannot make a public-key signature at all.
    drop(customer_key);
    println!(
        "[customer] 1 Ed25519 signature: commitment to a chain of {CHAIN} and its LM-OTS key ({} bytes); Ed25519 key dropped",
        commitment.to_bytes().len()
    );

    let mut session = Session::open(
        vendor_id,
        &broker_key.public_key(),
        certificate,
        commitment,
        NOW,
        60,
    )?;
    println!("[vendor]   accepted the commitment (2 Ed25519 verifications)");

    // 2–3. Stream the file, one payword per chunk, renewing as chains end.
    let mut received = Vec::with_capacity(file.len());
    let (mut units_paid, mut units_delivered) = (0u64, 0u64);
    let (mut max_customer_risk, mut max_vendor_risk) = (0u64, 0u64);
    let (mut renewals, mut link_bytes, mut payment_bytes) = (0usize, 0usize, 0usize);
    let mut stored_state = 0usize;
    let mut renew_time = std::time::Duration::ZERO;
    let mut vendor_renew_time = std::time::Duration::ZERO;
    for chunk in file.chunks(CHUNK) {
        // Customer: next payword (renewing first if the chain is used up);
        // store the state, then send.
        let t = Instant::now();
        let out = wallet.pay()?;
        let state = wallet.to_bytes();
        stored_state = stored_state.max(state.len());
        if let Some(link) = &out.link {
            renew_time += t.elapsed();
            renewals += 1;
            link_bytes += link.to_bytes().len();
            let t = Instant::now();
            session.renew(link, NOW + 1)?;
            vendor_renew_time += t.elapsed();
            println!(
                "[customer] chain {} used up: renewal link {} to chain {} ({} bytes, LM-OTS, no Ed25519)",
                link.fields().generation - 1,
                &link.digest().to_string()[..16],
                link.fields().generation,
                link.to_bytes().len()
            );
        }
        payment_bytes += out.payment.to_bytes().len();
        units_paid += 1;
        max_customer_risk = max_customer_risk.max(units_paid - units_delivered);
        // Vendor: verify the payword (one hash), then send the chunk.
        let value = session.pay(&out.payment, NOW + 1)?;
        assert_eq!(value, PRICE);
        max_vendor_risk = max_vendor_risk.max(units_delivered + 1 - session.units_paid());
        received.extend_from_slice(chunk);
        units_delivered += 1;
    }
    assert_eq!(received, file);
    println!(
        "[stream]   {CHUNKS} chunks of {CHUNK} bytes delivered and paid: {renewals} renewals, {payment_bytes} bytes of payments, {link_bytes} bytes of links"
    );
    println!(
        "[stream]   exposure: customer at most {max_customer_risk} unit paid ahead, vendor at most {max_vendor_risk} unit delivered unpaid"
    );
    println!(
        "[cost]     per renewal: customer {:?} (next chain + its key + one LM-OTS signature), vendor {:?} (one LM-OTS verification); wallet state stored {} bytes",
        renew_time / u32::try_from(renewals.max(1))?,
        vendor_renew_time / u32::try_from(renewals.max(1))?,
        stored_state
    );

    // 4. One claim for the whole cascade.
    let claim: CascadeClaim = session.cascade().ok_or("nothing to claim")?;
    let mut broker = Broker::new(broker_id, broker_key.public_key(), MemoryStore::new(), DAY);
    let t = Instant::now();
    let r = broker.redeem_cascade(&claim, &vendor_id, NOW + 2 * DAY)?;
    println!(
        "[broker]   redeemed one cascade claim ({} bytes, {} chains) in {:?}: {} units, owes vendor {}",
        claim.to_bytes().len(),
        r.chains,
        t.elapsed(),
        r.units,
        r.owed
    );
    let again = broker.redeem_cascade(&claim, &vendor_id, NOW + 2 * DAY)?;
    println!("[broker]   the same claim again: owes {} more", again.owed);

    assert_eq!(r.owed, CHUNKS as u64 * PRICE);
    assert!(max_customer_risk <= 1 && max_vendor_risk == 0);
    println!(
        "\npublic-key signatures: 1 by the broker (certificate), 1 by the customer (commitment), 0 after the first commitment ({renewals} renewals by one-time signatures)"
    );
    Ok(())
}
