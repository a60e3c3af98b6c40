//! The quickstart flow with no elliptic curve anywhere: every signature is
//! hash-based.
//!
//! 1. The broker's key is an LMS tree (RFC 8554, H10 with W4 leaves: 1,024
//!    signatures), its counter saved to a file before every signature; it
//!    issues the customer's certificate.
//! 2. The customer's key is an LMS tree too (H5, W8: 32 commitments); it
//!    signs one commitment to a self-renewing chain.
//! 3. The customer pays 1,000 units, one payword each; its chains renew
//!    every 300 paywords with LM-OTS links (no new commitment).
//! 4. The vendor redeems the whole cascade with the broker in one claim; a
//!    replay earns nothing.
//! 5. The broker restarts from its key file and signs on from the next leaf;
//!    a restored older key file is refused.
//!
//! Built without the `ed25519` feature, so not even the code for a curve is
//! linked:
//!
//! ```text
//! cargo run --release --no-default-features --features std,lms --example hash_only
//! ```

use payword::lmots::LmotsParams;
use payword::lmots::lms::LmsParams;
use payword::lmots::signer::{FileLmsStore, LmsKeyError, LmsSigningKey, MemoryLmsStore};
use payword::renew::{CascadeClaim, RenewingWallet};
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CustomerId, Encode, HashAlg, LmsSigner, MemoryStore, MessageSigner, Session,
    Sha256, SigAlg, VendorId,
};
use std::time::Instant;

const UNITS: u32 = 1_000;
const CHAIN: u32 = 300;
const NOW: u64 = 1_700_000_000;
const DAY: u64 = 86_400;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("payword-hash-only-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let result = run(&dir);
    std::fs::remove_dir_all(&dir)?;
    result
}

fn run(dir: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    // Fixed seeds so the run is reproducible; a real deployment draws them
    // from a CryptoRng (`LmsSigningKey::generate`).
    let started = Instant::now();
    let broker_key = LmsSigningKey::from_seed(
        LmsParams::Sha256M32H10,
        LmotsParams::Sha256N32W4,
        [0xb0; 16],
        &[0xb1; 32],
    )?;
    let key_file = dir.join("broker.lms");
    let broker_signer = LmsSigner::new(broker_key, FileLmsStore::new(&key_file))?;
    println!(
        "[broker]   LMS key H10/W4 built in {:.2?}: {} signatures left, public key {} bytes",
        started.elapsed(),
        broker_signer.remaining(),
        broker_signer.public_key().encoded_len()
    );
    let customer_signer = LmsSigner::new(
        LmsSigningKey::from_seed(
            LmsParams::Sha256M32H5,
            LmotsParams::Sha256N32W8,
            [0xc0; 16],
            &[0xc1; 32],
        )?,
        MemoryLmsStore::new(),
    )?;
    let broker_id = BrokerId::from_bytes([0xb2; 32]);
    let vendor_id = VendorId::from_bytes([0x71; 32]);
    let broker_public = broker_signer.public_key();

    // 1. Certificate, signed with leaf 0 of the broker's tree (saved first).
    let certificate = Certificate::issue(
        CertificateFields {
            broker: broker_id,
            serial: 1,
            customer: CustomerId::from_bytes([0xcc; 16]),
            customer_key: customer_signer.public_key(),
            credit_limit: 50_000,
            valid_from: NOW - DAY,
            expires: NOW + 30 * DAY,
        },
        &broker_signer,
    )?;
    assert_eq!(certificate.signature().alg(), SigAlg::Lms);
    println!(
        "[broker]   issued certificate ({} bytes, LMS signature of {} bytes); key file now at leaf {}",
        certificate.to_bytes().len(),
        certificate.signature().as_bytes().len(),
        LmsSigningKey::resume(&FileLmsStore::new(&key_file).load()?[..], 0)?.next_leaf()
    );

    // 2. Commitment to a self-renewing chain, signed with the customer's LMS key.
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
            unit_value: 2,
            valid_from: NOW,
            expires: NOW + DAY,
            chain: wallet.committed_chain(),
            renewal: Some(wallet.renewal_key()),
        },
        &customer_signer,
    )?;
    wallet.bind(&commitment)?;
    println!(
        "[customer] committed (LMS H5/W8, {} bytes; {} commitments left on this key)",
        commitment.to_bytes().len(),
        customer_signer.remaining()
    );

    // The vendor verifies two LMS signatures: certificate and commitment.
    let opened = Instant::now();
    let mut session = Session::open(vendor_id, &broker_public, certificate, commitment, NOW, 60)?;
    println!(
        "[vendor]   accepted: 2 LMS signatures verified in {:.2?}",
        opened.elapsed()
    );

    // 3. Pay, renewing with LM-OTS links as chains run out.
    let mut links = 0;
    for _ in 0..UNITS {
        let out = wallet.pay()?;
        if let Some(link) = &out.link {
            session.renew(link, NOW + 10)?;
            links += 1;
        }
        session.pay(&out.payment, NOW + 10)?;
    }
    println!(
        "[customer] paid {UNITS} units over {} chains ({links} renewal links, each an LM-OTS signature)",
        links + 1
    );

    // 4. One claim for the cascade.
    let claim: CascadeClaim = session.cascade().ok_or("nothing to claim")?;
    let mut broker = Broker::new(broker_id, broker_public, MemoryStore::new(), DAY);
    let r = broker.redeem_cascade(&claim, &vendor_id, NOW + 2 * DAY)?;
    println!(
        "[broker]   redeemed the cascade ({} bytes): {} units, owes the vendor {}",
        claim.to_bytes().len(),
        r.units,
        r.owed
    );
    assert_eq!((r.units, r.owed), (u64::from(UNITS), 2 * u64::from(UNITS)));
    let again = broker.redeem_cascade(&claim, &vendor_id, NOW + 2 * DAY)?;
    assert_eq!(again.owed, 0);
    println!("[broker]   the same claim again: owes 0 more");

    // 5. Restart: the broker resumes from its key file and signs from leaf 1.
    let old_state = FileLmsStore::new(&key_file).load()?;
    drop(broker_signer);
    let resumed = LmsSigner::new(
        LmsSigningKey::resume(&FileLmsStore::new(&key_file).load()?[..], 1)?,
        FileLmsStore::new(&key_file),
    )?;
    assert_eq!(resumed.public_key(), broker_public);
    let second = Certificate::issue(
        CertificateFields {
            serial: 2,
            ..*certificate.fields()
        },
        &resumed,
    )?;
    second.verify(&broker_public)?;
    let leaf = u32::from_be_bytes(second.signature().as_bytes()[..4].try_into()?);
    println!("[broker]   restarted from its key file: the next certificate used leaf {leaf}");
    assert_eq!(leaf, 1);
    // A backup from before that signature is older than the floor (the
    // highest leaf published + 1): refused.
    let refused = LmsSigningKey::resume(&old_state[..], leaf + 1);
    assert!(matches!(refused, Err(LmsKeyError::Rollback { .. })));
    println!(
        "[broker]   an older key file is refused: {}",
        refused.err().map(|e| e.to_string()).unwrap_or_default()
    );

    println!(
        "\nno elliptic-curve operation: ed25519 compiled in = {}",
        cfg!(feature = "ed25519")
    );
    Ok(())
}
