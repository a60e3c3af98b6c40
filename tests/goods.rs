//! Fair exchange of digital goods (`payword::goods`): each side stopped or
//! cheating at every step loses at most one chunk / one unit; bad-delivery
//! proofs are sound and cap the broker's redemption.

#![cfg(all(feature = "ed25519", feature = "std"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ed25519_dalek::SigningKey;
use payword::goods::{
    BadDeliveryProof, Buyer, Content, ContentId, Delivery, GoodsError, MAX_CHUNKS, Manifest,
    Seller, purchase_chain_id,
};
use payword::lmots::LmotsPublicKey;
use payword::renew::{CascadeClaim, RenewingWallet};
use payword::store::Table;
use payword::{
    Broker, BrokerId, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed, Commitment,
    CommitmentFields, CommittedChain, CustomerId, DecodeError, Digest, Encode, HashAlg,
    MemoryStore, MessageSigner, Payment, PaymentBody, Payword, PublicKey, Session, SessionError,
    Sha256, VendorId, VerifyError, Word,
};

const NOW: u64 = 1_000;
const PRICE: u64 = 3;
/// 8 chunks of 16 bytes, the last of 5.
const CHUNK: u32 = 16;
const LEN: usize = 7 * 16 + 5;
const CHUNKS: u32 = 8;
/// Chains of 3 paywords: the 8 chunks take 3 chains (2 renewals).
const CHAIN: u32 = 3;

fn broker_key() -> SigningKey {
    SigningKey::from_bytes(&[0xb0; 32])
}
fn customer_key() -> SigningKey {
    SigningKey::from_bytes(&[0xc0; 32])
}
fn vendor_key() -> SigningKey {
    SigningKey::from_bytes(&[0x70; 32])
}
const BROKER: BrokerId = BrokerId::from_bytes([0xb1; 32]);
const VENDOR: VendorId = VendorId::from_bytes([0x71; 32]);
const NONCE: [u8; 16] = [0x11; 16];

fn seed() -> ChainSeed {
    ChainSeed::from_bytes([0x5d; 32])
}

fn file() -> Vec<u8> {
    (0..LEN).map(|i| (i * 7 % 251) as u8).collect()
}

fn honest() -> Content {
    Content::new(ContentId::from_bytes([0xc1; 32]), CHUNK, file(), &seed()).unwrap()
}

fn manifest(content: &Content) -> Manifest {
    Manifest::sign(
        content.manifest_fields(VENDOR, vendor_key().public_key(), PRICE),
        &vendor_key(),
    )
    .unwrap()
}

fn certificate() -> Certificate {
    Certificate::issue(
        CertificateFields {
            broker: BROKER,
            serial: 1,
            customer: CustomerId::from_bytes([0xcc; 16]),
            customer_key: customer_key().public_key(),
            credit_limit: 10_000,
            valid_from: 0,
            expires: 1_000_000,
        },
        &broker_key(),
    )
    .unwrap()
}

/// One purchase in progress.
struct Run<'c> {
    buyer: Buyer,
    wallet: RenewingWallet<Sha256>,
    seller: Seller<'c>,
    /// Paywords released by the customer, in order (for replay tests).
    released: Vec<Payment>,
}

/// The customer's commitment to `VENDOR` (under [`certificate`], valid
/// from 0 to 100 000) on `chain`, at `unit_value` a unit.
fn sign_commitment(
    chain: CommittedChain,
    unit_value: u64,
    renewal: Option<LmotsPublicKey>,
) -> Commitment {
    Commitment::sign(
        CommitmentFields {
            certificate: certificate().digest(),
            vendor: VENDOR,
            unit_value,
            valid_from: 0,
            expires: 100_000,
            chain,
            renewal,
        },
        &customer_key(),
    )
    .unwrap()
}

/// The vendor's session on `commitment` under [`certificate`], opened at `NOW`.
fn open_session(commitment: Commitment) -> Session {
    Session::open(
        VENDOR,
        &broker_key().public_key(),
        certificate(),
        commitment,
        NOW,
        0,
    )
    .unwrap()
}

fn commitment_for(chain: ChainId, renew: bool) -> (RenewingWallet<Sha256>, Commitment) {
    let params = ChainParams::new(HashAlg::Sha256, chain, CHAIN.into()).unwrap();
    let wallet =
        RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([0x5e; 32]), params, 0).unwrap();
    let commitment = sign_commitment(
        wallet.committed_chain(),
        PRICE,
        renew.then(|| wallet.renewal_key()),
    );
    (wallet, commitment)
}

fn open(content: &Content, manifest: Manifest) -> Run<'_> {
    let buyer = Buyer::new(manifest, &vendor_key().public_key(), NONCE).unwrap();
    let (mut wallet, commitment) = commitment_for(buyer.chain_id(), true);
    wallet.bind(&commitment).unwrap();
    let session = open_session(commitment);
    let seller = Seller::open(content, manifest, session, &NONCE).unwrap();
    Run {
        buyer,
        wallet,
        seller,
        released: Vec::new(),
    }
}

impl Run<'_> {
    /// The customer authorizes and sends the next payword; the vendor
    /// verifies it.
    fn pay(&mut self) -> Result<(), GoodsError> {
        self.buyer.authorize()?;
        let out = self.wallet.pay().unwrap();
        if let Some(link) = &out.link {
            self.seller.renew(link, NOW).unwrap();
        }
        self.released.push(out.payment);
        self.seller.pay(&out.payment, NOW)?;
        Ok(())
    }

    /// What each honest party has lost if the exchange stops now: the
    /// customer's units paid for chunks it has not verified, the vendor's
    /// chunks delivered and not paid.
    fn losses(&self) -> (u64, u64) {
        let customer = self.seller.paid() - u64::from(self.buyer.received());
        let vendor = u64::from(self.seller.delivered()).saturating_sub(self.seller.paid());
        (customer, vendor)
    }

    fn check_exposure(&self) {
        let (customer, vendor) = self.losses();
        assert!(customer <= 1, "customer lost {customer}");
        assert!(vendor <= 1, "vendor lost {vendor}");
        assert_eq!(
            self.buyer.exposure(),
            u64::from(self.buyer.paid() - self.buyer.received())
        );
        assert!(self.buyer.exposure() <= 1);
        assert_eq!(self.seller.exposure(), vendor);
    }

    /// One honest step: the customer pays, the vendor delivers the next
    /// chunk, the customer receives it.
    fn step(&mut self) {
        self.pay().unwrap();
        let d = self.seller.deliver().unwrap();
        self.buyer.receive(&d).unwrap();
    }

    fn cascade(&self) -> CascadeClaim {
        self.seller.session().cascade().unwrap()
    }
}

/// A purchase of `content` under its own manifest, opened.
fn opened(content: &Content) -> Run<'_> {
    open(content, manifest(content))
}

/// A purchase of `content` after `chunks` honest steps.
fn delivered(content: &Content, chunks: u32) -> Run<'_> {
    let mut run = opened(content);
    for _ in 0..chunks {
        run.step();
    }
    run
}

fn broker() -> Broker {
    Broker::new(BROKER, broker_key().public_key(), MemoryStore::new(), 1_000)
}

#[test]
fn honest_run_is_delivered_and_redeemed_in_full() {
    let content = honest();
    let mut run = opened(&content);
    let mut got = Vec::new();
    while !run.buyer.is_complete() {
        run.pay().unwrap();
        run.check_exposure();
        assert_eq!(run.buyer.exposure(), 1);
        let d = run.seller.deliver().unwrap();
        run.check_exposure();
        run.buyer.receive(&d).unwrap();
        run.check_exposure();
        got.extend_from_slice(&d.chunk);
    }
    assert_eq!(got, file());
    assert_eq!(run.losses(), (0, 0));
    assert_eq!(run.buyer.authorize(), Err(GoodsError::Finished));
    assert_eq!(run.seller.deliver(), Err(GoodsError::NotPaid));
    assert_eq!(run.seller.session().generation(), 2);
    let mut b = broker();
    let r = b.redeem_cascade(&run.cascade(), &VENDOR, NOW).unwrap();
    assert_eq!((r.units, r.owed), (8, 8 * PRICE));
    assert_eq!(b.bad_delivery(&run.buyer.chain_id()).unwrap(), None);
}

#[test]
fn a_wrong_chunk_at_every_step_costs_the_customer_nothing_after_the_proof() {
    for k in 1..=CHUNKS {
        let original = honest();
        let served = original
            .tampered(k, vec![0xee; CHUNK as usize], &seed())
            .unwrap();
        let m = manifest(&served);
        let mut run = open(&served, m);
        let mut i = 0;
        let proof = loop {
            i += 1;
            run.pay().unwrap();
            run.check_exposure();
            let d = run.seller.deliver().unwrap();
            match run.buyer.receive(&d) {
                Ok(_) => assert!(i < k),
                Err(e) => {
                    assert_eq!((i, e), (k, GoodsError::BadChunk { index: k }));
                    break run.buyer.bad_delivery_proof().unwrap().clone();
                }
            }
            run.check_exposure();
        };
        // Stopped: no more paywords, no more deliveries accepted.
        assert_eq!(run.buyer.authorize(), Err(GoodsError::Stopped));
        assert_eq!(run.losses(), (1, 0));
        // The proof caps the vendor at the k − 1 good chunks, though the
        // customer released k paywords.
        let mut b = broker();
        let bad = b
            .report_bad_delivery(&proof, &vendor_key().public_key(), NOW)
            .unwrap();
        assert_eq!(
            (bad.index, bad.units(), bad.chain),
            (k, u64::from(k - 1), run.buyer.chain_id())
        );
        let r = b.redeem_cascade(&run.cascade(), &VENDOR, NOW).unwrap();
        assert_eq!(r.units, u64::from(k), "k = {k}");
        assert_eq!(r.owed, u64::from(k - 1) * PRICE, "k = {k}");
        assert_eq!(b.owed(&VENDOR).unwrap(), u64::from(k - 1) * PRICE);
        // Customer's loss after the proof: paid for k − 1, got k − 1.
        assert_eq!(r.owed / PRICE, u64::from(run.buyer.received()));
        // Idempotent.
        assert_eq!(
            b.redeem_cascade(&run.cascade(), &VENDOR, NOW).unwrap().owed,
            0
        );
        assert_eq!(
            b.report_bad_delivery(&proof, &vendor_key().public_key(), NOW + 1)
                .unwrap(),
            bad
        );
    }
}

#[test]
fn a_withholding_seller_takes_at_most_one_unit() {
    for k in 1..=CHUNKS {
        let content = honest();
        let mut run = delivered(&content, k - 1);
        run.pay().unwrap();
        // The vendor keeps chunk k; the customer pays nothing more.
        assert_eq!(run.buyer.authorize(), Err(GoodsError::Outstanding));
        run.check_exposure();
        assert_eq!(run.losses(), (1, 0));
        // Garbage the vendor did not authenticate changes nothing.
        let mut d = content
            .delivery(&run.seller.manifest().digest(), k)
            .unwrap();
        d.word = Word::from_bytes([0; 32]);
        assert_eq!(run.buyer.receive(&d), Err(GoodsError::Unauthenticated));
        d = content
            .delivery(&run.seller.manifest().digest(), k)
            .unwrap();
        d.chunk[0] ^= 1;
        assert_eq!(run.buyer.receive(&d), Err(GoodsError::Unauthenticated));
        assert!(run.buyer.bad_delivery_proof().is_none());
        // Chunks out of order are refused before any hashing.
        let later = content.delivery(&run.seller.manifest().digest(), k.min(CHUNKS - 1) + 1);
        if k < CHUNKS {
            assert_eq!(
                run.buyer.receive(&later.unwrap()),
                Err(GoodsError::Unexpected {
                    expected: k,
                    found: k + 1
                })
            );
        }
        assert_eq!((run.buyer.paid(), run.buyer.received()), (k, k - 1));
        // The genuine chunk still completes the step.
        let d = run.seller.deliver().unwrap();
        assert_eq!(run.buyer.receive(&d), Ok(k));
        assert_eq!(run.losses(), (0, 0));
    }
}

#[test]
fn a_customer_who_stops_paying_gets_nothing_unpaid() {
    for k in 1..=CHUNKS {
        let content = honest();
        let mut run = opened(&content);
        for _ in 1..k {
            run.step();
            run.check_exposure();
        }
        // The customer stops before payword k: the vendor sends nothing.
        assert_eq!(run.seller.deliver(), Err(GoodsError::NotPaid));
        assert_eq!(run.seller.exposure(), 0);
        assert_eq!(run.losses(), (0, 0));
        assert_eq!(run.seller.delivered(), k - 1);
        if k > 1 {
            let mut b = broker();
            let r = b.redeem_cascade(&run.cascade(), &VENDOR, NOW).unwrap();
            assert_eq!(r.owed, u64::from(k - 1) * PRICE);
        }
    }
}

#[test]
fn forged_and_replayed_paywords_buy_nothing() {
    for k in 2..=CHUNKS {
        let content = honest();
        let mut run = delivered(&content, k - 1);
        let paid = run.seller.paid();
        // Replay of the last payword.
        let last = *run.released.last().unwrap();
        assert!(matches!(
            run.seller.pay(&last, NOW),
            Err(GoodsError::Session(_))
        ));
        // A forged word at the next index.
        let PaymentBody::Single(p) = last.body() else {
            unreachable!()
        };
        let forged = Payment::new(
            *last.commitment(),
            PaymentBody::Single(Payword::new(p.index() + 1, Word::from_bytes([0x66; 32]))),
        );
        if p.index() < CHAIN {
            assert!(matches!(
                run.seller.pay(&forged, NOW),
                Err(GoodsError::Session(SessionError::Payment(
                    VerifyError::Forged
                )))
            ));
        } else {
            assert!(run.seller.pay(&forged, NOW).is_err());
        }
        assert_eq!(run.seller.paid(), paid);
        assert_eq!(run.seller.deliver(), Err(GoodsError::NotPaid));
        assert_eq!(run.losses(), (0, 0));
    }
    // Two units at once are refused (one payword per chunk).
    let content = honest();
    let mut run = opened(&content);
    let _skipped = run.wallet.pay().unwrap();
    let two = run.wallet.pay().unwrap();
    assert!(matches!(
        run.seller.pay(&two.payment, NOW),
        Err(GoodsError::Session(SessionError::WrongPrice { .. }))
    ));
    assert_eq!(run.seller.deliver(), Err(GoodsError::NotPaid));
}

/// A bad delivery at chunk 5 of an 8-chunk content, and its proof.
fn bad_run(content: &Content) -> (Manifest, BadDeliveryProof) {
    let m = manifest(content);
    let mut run = open(content, m);
    loop {
        run.pay().unwrap();
        let d = run.seller.deliver().unwrap();
        if run.buyer.receive(&d).is_err() {
            return (m, run.buyer.bad_delivery_proof().unwrap().clone());
        }
    }
}

fn tampered() -> Content {
    honest()
        .tampered(5, vec![0xee; CHUNK as usize], &seed())
        .unwrap()
}

#[test]
fn forged_proofs_are_refused_and_change_nothing() {
    let served = tampered();
    let (_, proof) = bad_run(&served);
    assert_eq!(proof.verify().unwrap().index, 5);
    let mut b = broker();
    let before = b.store().len();
    let refuse = |b: &mut Broker, p: &BadDeliveryProof, e: GoodsError| {
        assert_eq!(p.verify(), Err(e));
        assert_eq!(
            b.report_bad_delivery(p, &p.manifest.fields().vendor_key, NOW),
            Err(e)
        );
    };

    // A chunk the vendor never sent (made-up bytes, the right length).
    let mut p = proof.clone();
    p.chunk = vec![0x01; CHUNK as usize];
    refuse(&mut b, &p, GoodsError::NotSent);
    // Another path.
    let mut p = proof.clone();
    p.path[0] = Digest::from_bytes([0; 32]);
    refuse(&mut b, &p, GoodsError::NotSent);
    // Another earlier digest or word.
    let mut p = proof.clone();
    p.delivered[2] = Digest::from_bytes([0; 32]);
    refuse(&mut b, &p, GoodsError::NotSent);
    let mut p = proof.clone();
    p.word = Word::from_bytes([1; 32]);
    refuse(&mut b, &p, GoodsError::NotSent);
    // A good chunk of the same vendor (it did send it): it matches.
    let mut p = proof.clone();
    p.index = 4;
    p.chunk = served.chunk(4).unwrap().to_vec();
    p.delivered.pop();
    let d = served.delivery(&proof.manifest.digest(), 4).unwrap();
    p.word = d.word;
    p.path = d.path;
    refuse(&mut b, &p, GoodsError::ChunkMatches);
    // The same for an honest vendor, at every chunk: no proof exists.
    let content = honest();
    let m = manifest(&content);
    for i in 1..=CHUNKS {
        let d = content.delivery(&m.digest(), i).unwrap();
        let mut buyer = Buyer::new(m, &vendor_key().public_key(), NONCE).unwrap();
        for j in 1..i {
            buyer.authorize().unwrap();
            buyer
                .receive(&content.delivery(&m.digest(), j).unwrap())
                .unwrap();
        }
        let p = BadDeliveryProof {
            manifest: m,
            nonce: NONCE,
            index: i,
            word: d.word,
            chunk: d.chunk.clone(),
            path: d.path.clone(),
            delivered: buyer.delivery_digests().to_vec(),
        };
        assert_eq!(p.verify(), Err(GoodsError::ChunkMatches));
        assert_eq!(
            b.report_bad_delivery(&p, &vendor_key().public_key(), NOW),
            Err(GoodsError::ChunkMatches)
        );
    }
    // An invalid manifest signature.
    let mut p = proof.clone();
    let other = SigningKey::from_bytes(&[0x99; 32]);
    let mut fields = *p.manifest.fields();
    fields.vendor_key = vendor_key().public_key();
    let resigned = Manifest::sign(fields, &other).unwrap();
    p.manifest = resigned;
    refuse(&mut b, &p, GoodsError::BadSignature);
    // A manifest signed by another key that names itself: it is not the
    // vendor's delivery chain, so the proof does not chain.
    let mut fields = *proof.manifest.fields();
    fields.vendor_key = other.public_key();
    let mut p = proof.clone();
    p.manifest = Manifest::sign(fields, &other).unwrap();
    assert_eq!(
        p.verify().map(|b| b.chain),
        Ok(purchase_chain_id(&p.manifest.digest(), &NONCE))
    );
    assert_ne!(p.verify().unwrap().chain, proof.verify().unwrap().chain);
    // Shapes that do not fit the manifest.
    let mut p = proof.clone();
    p.index = CHUNKS + 1;
    refuse(&mut b, &p, GoodsError::Malformed);
    let mut p = proof.clone();
    p.path.pop();
    refuse(&mut b, &p, GoodsError::Malformed);
    let mut p = proof.clone();
    p.delivered.push(Digest::from_bytes([0; 32]));
    refuse(&mut b, &p, GoodsError::Malformed);

    // Nothing was recorded; an honest redemption is paid in full.
    assert_eq!(b.store().len(), before);
    assert_eq!(b.store().records(Table::Group).count(), 0);
}

#[test]
fn the_cap_applies_to_plain_redemptions_and_keeps_the_lowest_index() {
    let served = tampered();
    let m = manifest(&served);
    // A plain commitment (no renewal) on a chain bound to the purchase.
    let chain = purchase_chain_id(&m.digest(), &NONCE);
    let params = ChainParams::new(HashAlg::Sha256, chain, 20).unwrap();
    let mut wallet =
        payword::Pebbler::<Sha256>::new(&ChainSeed::from_bytes([3; 32]), params).unwrap();
    use payword::Traversal as _;
    let commitment = sign_commitment(
        CommittedChain::Single {
            params,
            anchor: wallet.anchor(),
        },
        PRICE,
        None,
    );
    let session = open_session(commitment);
    let mut seller = Seller::open(&served, m, session, &NONCE).unwrap();
    let mut buyer = Buyer::new(m, &vendor_key().public_key(), NONCE).unwrap();
    let digest = commitment.digest();
    let proof = loop {
        buyer.authorize().unwrap();
        let p = wallet.next_payword().unwrap();
        seller
            .pay(&Payment::new(digest, PaymentBody::Single(p)), NOW)
            .unwrap();
        if buyer.receive(&seller.deliver().unwrap()).is_err() {
            break buyer.bad_delivery_proof().unwrap().clone();
        }
    };
    let claim = seller.session().claim().unwrap();
    let mut b = broker();
    // Redeemed once before the report (3 units), which stays credited.
    let mut replay =
        payword::Pebbler::<Sha256>::new(&ChainSeed::from_bytes([3; 32]), params).unwrap();
    let third = replay.advance(3).unwrap();
    let early = payword::RedemptionClaim {
        payment: Payment::new(digest, PaymentBody::Single(third)),
        ..claim
    };
    assert_eq!(b.redeem(&early, &VENDOR, NOW).unwrap().owed, 3 * PRICE);
    assert_eq!(
        b.report_bad_delivery(&proof, &vendor_key().public_key(), NOW)
            .unwrap()
            .index,
        5
    );
    let r = b.redeem(&claim, &VENDOR, NOW).unwrap();
    assert_eq!((r.units, r.owed), (5, PRICE)); // the 4th unit only
    assert_eq!(b.owed(&VENDOR).unwrap(), 4 * PRICE);
    assert_eq!(b.bad_delivery(&chain).unwrap().map(|d| d.index), Some(5));
}

#[test]
fn the_seller_checks_the_binding() {
    let content = honest();
    let m = manifest(&content);
    let open_with = |chain: ChainId, unit_value: u64| {
        let params = ChainParams::new(HashAlg::Sha256, chain, 4).unwrap();
        let w = RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([1; 32]), params, 0).unwrap();
        let commitment = sign_commitment(w.committed_chain(), unit_value, None);
        let session = open_session(commitment);
        Seller::open(&content, m, session, &NONCE).map(|_| ())
    };
    let good = purchase_chain_id(&m.digest(), &NONCE);
    assert_eq!(open_with(good, PRICE), Ok(()));
    assert_eq!(
        open_with(ChainId::from_bytes([1; 16]), PRICE),
        Err(GoodsError::WrongCommitment)
    );
    assert_eq!(open_with(good, PRICE + 1), Err(GoodsError::WrongCommitment));
    // Another content's manifest.
    let other = Content::new(ContentId::from_bytes([2; 32]), CHUNK, file(), &seed()).unwrap();
    let buyer = Buyer::new(m, &vendor_key().public_key(), NONCE).unwrap();
    let (_, c) = commitment_for(buyer.chain_id(), true);
    let session = open_session(c);
    assert!(matches!(
        Seller::open(&other, m, session, &NONCE),
        Err(GoodsError::WrongManifest)
    ));
    // The buyer checks the vendor's key.
    assert!(matches!(
        Buyer::new(m, &PublicKey::ed25519([0; 32]), NONCE),
        Err(GoodsError::BadSignature)
    ));
}

#[test]
fn renewals_only_at_the_end_of_a_chain() {
    let content = honest();
    let mut run = opened(&content);
    run.pay().unwrap();
    // A wallet renewing early: its link is refused until the chain is used up.
    let params = ChainParams::new(HashAlg::Sha256, run.buyer.chain_id(), CHAIN.into()).unwrap();
    let mut eager =
        RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([0x5e; 32]), params, 2).unwrap();
    let (_, commitment) = commitment_for(run.buyer.chain_id(), true);
    eager.bind(&commitment).unwrap();
    eager.pay().unwrap();
    let out = eager.pay().unwrap();
    let link = out.link.unwrap();
    assert_eq!(
        run.seller.renew(&link, NOW),
        Err(GoodsError::ChainNotUsedUp)
    );
}

#[test]
fn wire_forms_are_canonical() {
    let served = tampered();
    let (m, proof) = bad_run(&served);
    let bytes = proof.to_bytes();
    assert_eq!(bytes[0], 0x62);
    assert_eq!(BadDeliveryProof::decode(&bytes).unwrap(), proof);
    assert!(bytes.len() <= BadDeliveryProof::MAX_LEN);
    let mut extra = bytes.clone();
    extra.push(0);
    assert_eq!(
        BadDeliveryProof::decode(&extra),
        Err(DecodeError::TrailingData { extra: 1 })
    );
    // The count of earlier digests must be index − 1.
    let mut p = proof.clone();
    p.delivered.pop();
    assert!(matches!(
        BadDeliveryProof::decode(&p.to_bytes()),
        Err(DecodeError::NonCanonical { field: "delivered" })
    ));
    let d = served.delivery(&m.digest(), 8).unwrap();
    let db = d.to_bytes();
    assert_eq!(
        (db[0], db.len()),
        (0x61, 2 + 32 + 4 + 32 + 4 + 5 + 1 + 3 * 32)
    );
    assert_eq!(Delivery::decode(&db).unwrap(), d);
    let mb = m.to_bytes();
    assert_eq!(
        (mb[0], mb.len()),
        (0x60, 2 + 32 + 33 + 32 + 12 + 8 + 64 + 65)
    );
    assert_eq!(Manifest::decode(&mb).unwrap(), m);
    assert_eq!(Manifest::from_text(&m.to_text()).unwrap(), m);
    // Sizes out of range are refused by the decoder and by signing.
    let mut f = *m.fields();
    f.chunks = MAX_CHUNKS + 1;
    assert!(Manifest::sign(f, &vendor_key()).is_err());
    f = *m.fields();
    f.last_chunk = f.chunk_size + 1;
    assert!(Manifest::sign(f, &vendor_key()).is_err());
    // A chunk over the limit is refused before allocation.
    let mut big = db.clone();
    let at = 2 + 32 + 4 + 32;
    big[at..at + 4].copy_from_slice(&(1u32 << 20).to_be_bytes());
    assert!(matches!(
        Delivery::decode(&big),
        Err(DecodeError::LengthOverLimit { field: "chunk", .. })
    ));
}

#[test]
fn c_send_sync() {
    fn is<T: Send + Sync>() {}
    is::<Buyer>();
    is::<Seller<'static>>();
    is::<BadDeliveryProof>();
    is::<GoodsError>();
}

/// A customer's own manifest (its own key) naming a real vendor, or a proof
/// about one vendor, never caps another vendor's redemptions: the broker
/// takes the vendor key it knows, and a record counts only against the
/// vendor of its manifest.
#[test]
fn a_proof_counts_only_against_the_vendor_whose_known_key_signed_it() {
    let served = tampered();
    let (_, proof) = bad_run(&served);
    let mut b = broker();
    // The broker knows another key for this vendor: refused, nothing stored.
    let other = SigningKey::from_bytes(&[0x66; 32]).public_key();
    assert_eq!(
        b.report_bad_delivery(&proof, &other, NOW),
        Err(GoodsError::UnknownVendorKey)
    );
    assert!(b.store().is_empty());
    // Recorded under the right key, it does not cap another vendor that
    // happens to redeem a commitment on the same chain id.
    let bad = b
        .report_bad_delivery(&proof, &vendor_key().public_key(), NOW)
        .unwrap();
    let other_vendor = VendorId::from_bytes([0x99; 32]);
    let params = ChainParams::new(HashAlg::Sha256, bad.chain, 100).unwrap();
    let mut wallet =
        payword::Pebbler::<Sha256>::new(&ChainSeed::from_bytes([8; 32]), params).unwrap();
    let cert = certificate();
    let commitment = Commitment::sign(
        CommitmentFields {
            certificate: cert.digest(),
            vendor: other_vendor,
            unit_value: 1,
            valid_from: NOW - 10,
            expires: NOW + 10_000,
            chain: CommittedChain::Single {
                params,
                anchor: payword::Traversal::anchor(&wallet),
            },
            renewal: None,
        },
        &customer_key(),
    )
    .unwrap();
    let top = payword::Traversal::advance(&mut wallet, 7).unwrap();
    let claim = payword::RedemptionClaim {
        certificate: cert,
        commitment,
        payment: Payment::new(commitment.digest(), PaymentBody::Single(top)),
    };
    assert_eq!(b.redeem(&claim, &other_vendor, NOW).unwrap().owed, 7);
}
