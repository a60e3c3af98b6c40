//! The whole PayWord protocol, end to end:
//!
//! 1. the broker issues a certificate to a customer;
//! 2. the customer commits to a vendor with one signature over a chain anchor;
//! 3. the customer pays 10,000 units, one payword per unit, through the
//!    optimal pebbling traversal;
//! 4. the vendor redeems the highest payword with the broker, in one claim;
//! 5. a replayed claim earns nothing more (redemption is idempotent) and a
//!    forged claim is refused.
//!
//! It prints each step and the cost per party (hashes, signatures, bytes).
//!
//! Run with `cargo run --release --example quickstart`.

use ed25519_dalek::SigningKey;
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CommittedChain, Counting, CustomerId, Encode, HashAlg, MemoryStore,
    MessageSigner, Payment, PaymentBody, Payword, Pebbler, RedemptionClaim, Session, Sha256,
    Traversal, VendorId, Word,
};

const UNITS: u32 = 10_000;
/// The chain is longer than what is spent: the customer commits to a budget.
const CHAIN: u32 = 20_000;
const NOW: u64 = 1_700_000_000;
const DAY: u64 = 86_400;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Fixed keys and seeds so the run is reproducible; a real deployment
    // takes them from a CryptoRng (`SigningKey::generate`, `ChainSeed::random`).
    let broker_key = SigningKey::from_bytes(&[0xb0; 32]);
    let customer_key = SigningKey::from_bytes(&[0xc0; 32]);
    let broker_id = BrokerId::from_bytes([0xb1; 32]);
    let vendor_id = VendorId::from_bytes([0x71; 32]);

    // 1. Certificate: the broker vouches for a pseudonymous customer key.
    let certificate = Certificate::issue(
        CertificateFields {
            broker: broker_id,
            serial: 1,
            customer: CustomerId::from_bytes([0xcc; 16]),
            customer_key: customer_key.public_key(),
            credit_limit: 50_000,
            valid_from: NOW - DAY,
            expires: NOW + 30 * DAY,
        },
        &broker_key,
    )?;
    println!(
        "[broker]   issued certificate {} (credit limit 50000, {} bytes)",
        short(&certificate.digest().to_string()),
        certificate.to_bytes().len()
    );

    // 2. Commitment: the customer builds a chain and signs its anchor once.
    let params = ChainParams::new(
        HashAlg::Sha256,
        ChainId::from_bytes([0x42; 16]),
        CHAIN.into(),
    )?;
    let seed = ChainSeed::from_bytes([0x5e; 32]);
    let (wallet, setup) =
        Counting::<Sha256>::measure(|| Pebbler::<Counting<Sha256>>::new(&seed, params));
    let mut wallet = wallet?;
    let commitment = Commitment::sign(
        CommitmentFields {
            certificate: certificate.digest(),
            vendor: vendor_id,
            unit_value: 2,
            valid_from: NOW,
            expires: NOW + DAY,
            chain: CommittedChain::Single {
                params,
                anchor: wallet.anchor(),
            },
            renewal: None,
        },
        &customer_key,
    )?;
    let commit_bytes = commitment.to_bytes().len() + certificate.to_bytes().len();
    println!(
        "[customer] committed to vendor: chain n = {CHAIN}, unit value 2, {} hashes to set up, 1 signature, {commit_bytes} bytes sent",
        setup.total()
    );

    // The vendor checks certificate, signature, vendor id and validity.
    let mut session = Session::open(
        vendor_id,
        &broker_key.public_key(),
        certificate,
        commitment,
        NOW,
        60,
    )?;
    println!("[vendor]   accepted commitment: 2 signatures verified");

    // 3. Pay 10,000 units, one payword each.
    let digest = commitment.digest();
    let mut customer_hashes = 0;
    let mut max_per_payword = 0;
    let mut bytes = 0usize;
    let mut paid = 0;
    for _ in 0..UNITS {
        let (p, c) = Counting::<Sha256>::measure(|| wallet.next_payword());
        customer_hashes += c.total();
        max_per_payword = max_per_payword.max(c.total());
        let payment = Payment::new(digest, PaymentBody::Single(p.ok_or("wallet exhausted")?));
        bytes += payment.to_bytes().len();
        paid += session.pay(&payment, NOW + 10)?;
    }
    // The session hashes with plain SHA-256; count the vendor's work by
    // running the same verifications through a counting receiver.
    let vendor_hashes = count_vendor_hashes(&seed, params)?;
    println!(
        "[customer] paid {UNITS} units (value {paid}): {customer_hashes} hashes in all, at most {max_per_payword} per payword (pebbling, {} words stored), {bytes} bytes sent",
        wallet.stored_words()
    );
    println!(
        "[vendor]   verified {UNITS} payments: {vendor_hashes} hashes (1 per unit), 0 signatures"
    );

    // 4. Redemption: one claim with the highest payword.
    let claim = session.claim().ok_or("nothing to claim")?;
    let mut broker = Broker::new(broker_id, broker_key.public_key(), MemoryStore::new(), DAY);
    let r = broker.redeem(&claim, &vendor_id, NOW + 2 * DAY)?;
    println!(
        "[broker]   redeemed claim ({} bytes): {} units, owes vendor {}, 2 signatures verified, {} chain steps from the anchor",
        claim.to_bytes().len(),
        r.units,
        r.owed,
        r.units
    );

    // 5a. The same claim again: idempotent, nothing more is owed.
    let again = broker.redeem(&claim, &vendor_id, NOW + 2 * DAY)?;
    println!(
        "[broker]   replayed claim refused: nothing new, owes {} more, 0 hashes",
        again.owed
    );
    assert_eq!(again.owed, 0);

    // 5b. A forged claim: a payword past what the customer paid, with a
    // made-up word (the vendor cannot invert the hash).
    let forged = RedemptionClaim {
        payment: Payment::new(
            digest,
            PaymentBody::Single(Payword::new(UNITS + 1, Word::from_bytes([0xff; 32]))),
        ),
        ..claim
    };
    let Err(err) = broker.redeem(&forged, &vendor_id, NOW + 2 * DAY) else {
        return Err("the forged claim was accepted".into());
    };
    println!("[broker]   forged claim refused: {err}");

    println!(
        "\ntotal owed to vendor: {} (= {UNITS} units x 2); customer signatures: 1; broker signatures: 1",
        r.owed
    );
    Ok(())
}

/// Hashes the vendor spends verifying the same paywords one by one.
fn count_vendor_hashes(
    seed: &ChainSeed,
    params: ChainParams,
) -> Result<u64, Box<dyn std::error::Error>> {
    let mut wallet = payword::StoreAll::<Sha256>::new(seed, params)?;
    let mut vendor = payword::Receiver::<Counting<Sha256>>::new(params, wallet.anchor())?;
    let ((), cost) = Counting::<Sha256>::measure(|| {
        for p in wallet.by_ref().take(UNITS as usize) {
            let _ = vendor.accept(&p);
        }
    });
    Ok(cost.total())
}

fn short(hex: &str) -> &str {
    &hex[..16]
}
