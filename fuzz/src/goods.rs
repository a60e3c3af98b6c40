//! The fair-exchange targets: `goods_manifest`, `goods_delivery` and
//! `goods_proof`, one per decoder of `payword::goods`.
//!
//! Each decoder must be total and canonical (decode → encode = input, within
//! `MAX_LEN`) and cheap. Past decoding:
//!
//! - a manifest re-signed with the fixture vendor's key (so a `cfg(fuzzing)`
//!   build accepts it) starts a `Buyer`; as decoded, it starts one only if
//!   its signature verifies under the key it names;
//! - a delivery is shown to a buyer of the fixture's *honest* content, after
//!   the chunks before it: whatever the bytes, it is either refused with
//!   nothing changed or it is the genuine chunk — never a bad chunk (an
//!   honest vendor is never blamed) and never other bytes (no forgery);
//! - a proof is verified as decoded and with its manifest re-signed by the
//!   fixture vendor, and reported to a fresh broker: accepted exactly when it
//!   verifies, and a refused report leaves the store empty.
//!
//! The seeds are native (made by `cargo test`): in a fuzz build their
//! manifest signatures fail as decoded, and the re-signed paths reach the
//! hashing behind them.

use std::fmt::Debug;
use std::sync::LazyLock;

use ed25519_dalek::SigningKey;
use payword::goods::{
    BadDeliveryProof, Buyer, Content, ContentId, Delivery, GoodsError, Manifest, ManifestFields,
};
use payword::{Broker, ChainSeed, Encode, MemoryStore, MessageSigner};

use crate::fixture::{BROKER_ID, GRACE, NOW, VENDOR, broker_key};

/// Decodes a `T`; if accepted, checks the canonical rule.
fn decode<T: Encode + PartialEq + Debug>(data: &[u8]) -> Option<T> {
    match T::decode(data) {
        Ok(v) => {
            assert!(data.len() <= T::MAX_LEN, "{} > MAX_LEN", data.len());
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

/// The purchase nonce of the fixtures.
pub const NONCE: [u8; 16] = [0x4e; 16];
/// Price of one chunk.
pub const PRICE: u64 = 2;
/// The bad chunk of the tampered fixture.
pub const BAD: u32 = 3;

/// The fixture vendor's signing key.
fn vendor_signer() -> &'static SigningKey {
    static KEY: LazyLock<SigningKey> = LazyLock::new(|| SigningKey::from_bytes(&[0x70; 32]));
    &KEY
}

/// An honest content of 5 chunks of 16 bytes (the last of 9), its manifest
/// (signed in this build) and a copy served with chunk [`BAD`] diverged.
pub struct Fixture {
    /// The honest content.
    pub content: Content,
    /// Its manifest.
    pub manifest: Manifest,
    /// The content with chunk [`BAD`] diverged from the root.
    pub tampered: Content,
    /// The tampered content's manifest.
    pub tampered_manifest: Manifest,
}

/// The fixture, built once.
pub static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let seed = ChainSeed::from_bytes([0xd5; 32]);
    let bytes: Vec<u8> = (0..4 * 16 + 9).map(|i| (i * 13 % 251) as u8).collect();
    let content =
        Content::new(ContentId::from_bytes([0xc1; 32]), 16, bytes, &seed).expect("fixture content");
    let tampered = content
        .tampered(BAD, vec![0xee; 16], &seed)
        .expect("fixture tampered");
    let sign = |c: &Content| {
        Manifest::sign(
            c.manifest_fields(VENDOR, vendor_signer().public_key(), PRICE),
            vendor_signer(),
        )
        .expect("fixture manifest")
    };
    Fixture {
        manifest: sign(&content),
        tampered_manifest: sign(&tampered),
        content,
        tampered,
    }
});

/// `fields` signed in this build by the fixture vendor (naming its key).
fn resign(fields: &ManifestFields) -> Option<Manifest> {
    let mut f = *fields;
    f.vendor_key = vendor_signer().public_key();
    Manifest::sign(f, vendor_signer()).ok()
}

/// Target `goods_manifest`.
pub fn goods_manifest(data: &[u8]) {
    let Some(m) = decode::<Manifest>(data) else {
        return;
    };
    assert_eq!(Manifest::from_text(&m.to_text()).ok(), Some(m));
    let f = m.fields();
    assert!(f.len() >= u64::from(f.chunks));
    match Buyer::new(m, &f.vendor_key, NONCE) {
        Ok(b) => assert!(m.verify(&f.vendor_key).is_ok() && b.exposure() == 0),
        Err(e) => assert_eq!(e, GoodsError::BadSignature),
    }
    if let Some(r) = resign(f) {
        let mut b = Buyer::new(r, &vendor_signer().public_key(), NONCE).expect("re-signed");
        assert_eq!(b.authorize(), Ok(1));
        assert_eq!(b.authorize(), Err(GoodsError::Outstanding));
        assert_eq!(b.exposure(), 1);
    }
}

/// Target `goods_delivery`.
pub fn goods_delivery(data: &[u8]) {
    let Some(mut d) = decode::<Delivery>(data) else {
        return;
    };
    let fx = &*FIXTURE;
    let digest = fx.manifest.digest();
    let mut buyer = Buyer::new(fx.manifest, &vendor_signer().public_key(), NONCE).expect("buyer");
    let before = d.clone();
    if d.manifest != digest {
        buyer.authorize().expect("first");
        assert_eq!(buyer.receive(&d), Err(GoodsError::WrongManifest));
        d.manifest = digest;
    }
    let chunks = fx.content.chunks();
    let target = d.index.min(chunks);
    for i in 1..target {
        if buyer.paid() < i {
            buyer.authorize().expect("authorize");
        }
        let genuine = fx.content.delivery(&digest, i).expect("genuine");
        assert_eq!(buyer.receive(&genuine), Ok(i));
    }
    if buyer.paid() < target {
        buyer.authorize().expect("authorize");
    }
    let (paid, received) = (buyer.paid(), buyer.received());
    match buyer.receive(&d) {
        Ok(i) => {
            assert_eq!(i, d.index);
            assert_eq!(
                Some(&d.chunk[..]),
                fx.content.chunk(i),
                "forged chunk accepted"
            );
            assert_eq!(buyer.received(), received + 1);
        }
        Err(GoodsError::BadChunk { .. }) => panic!("an honest vendor was blamed: {before:?}"),
        Err(_) => {
            assert_eq!((buyer.paid(), buyer.received()), (paid, received));
            assert!(buyer.bad_delivery_proof().is_none());
        }
    }
    assert!(buyer.exposure() <= 1);
}

/// Verifies `proof` and reports it to a fresh broker: accepted exactly when
/// it verifies, and a refusal records nothing.
fn check_proof(proof: &BadDeliveryProof) -> Result<(), GoodsError> {
    let verified = proof.verify();
    let mut broker = Broker::new(BROKER_ID, broker_key(), MemoryStore::new(), GRACE);
    let reported = broker.report_bad_delivery(proof, &proof.manifest.fields().vendor_key, NOW);
    assert_eq!(reported, verified);
    match verified {
        Ok(bad) => {
            assert!(bad.index >= 1 && bad.units() == u64::from(bad.index - 1));
            assert_eq!(broker.bad_delivery(&bad.chain), Ok(Some(bad)));
            assert_eq!(broker.report_bad_delivery(proof, &proof.manifest.fields().vendor_key, NOW + 1), Ok(bad));
        }
        Err(_) => assert!(broker.store().is_empty()),
    }
    verified.map(|_| ())
}

/// Target `goods_proof`.
pub fn goods_proof(data: &[u8]) {
    let Some(proof) = decode::<BadDeliveryProof>(data) else {
        return;
    };
    let _ = check_proof(&proof);
    if let Some(m) = resign(proof.manifest.fields()) {
        let p = BadDeliveryProof {
            manifest: m,
            ..proof.clone()
        };
        let r = check_proof(&p);
        // The fixture's honest content has no bad chunk to prove.
        if m.fields() == FIXTURE.manifest.fields() {
            assert!(r.is_err(), "an honest vendor was blamed");
        }
    }
}

/// The seed files of the goods targets.
#[must_use]
pub fn seeds() -> Vec<crate::corpus::Seed> {
    let fx = &*FIXTURE;
    let mut out: Vec<crate::corpus::Seed> =
        vec![("goods_manifest", "honest".into(), fx.manifest.to_bytes())];
    if let Ok(d) = fx.content.delivery(&fx.manifest.digest(), 2) {
        out.push(("goods_delivery", "chunk-2".into(), d.to_bytes()));
    }
    let mut buyer =
        Buyer::new(fx.tampered_manifest, &vendor_signer().public_key(), NONCE).expect("buyer");
    for i in 1..=BAD {
        buyer.authorize().expect("authorize");
        let d = fx
            .tampered
            .delivery(&fx.tampered_manifest.digest(), i)
            .expect("delivery");
        let _ = buyer.receive(&d);
    }
    if let Some(p) = buyer.bad_delivery_proof() {
        out.push(("goods_proof", "chunk-3".into(), p.to_bytes()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_reach_the_checks() {
        let s = seeds();
        assert_eq!(s.len(), 3);
        for (t, _, b) in &s {
            crate::targets::by_name(t).expect("target")(b);
        }
        if std::env::var_os("PAYWORD_FUZZ_BLESS").is_some() {
            for (t, n, b) in &s {
                let dir = crate::corpus::seeds_dir().join(t);
                std::fs::create_dir_all(&dir).expect("seed dir");
                std::fs::write(dir.join(n), b).expect("seed");
            }
        }
        let proof = BadDeliveryProof::decode(&s[2].2).expect("proof");
        assert_eq!(proof.verify().map(|b| b.index), Ok(BAD));
    }
}
