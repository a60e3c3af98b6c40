//! The renewal targets: `renewal_link` (the link decoder, verification and a
//! vendor session's `renew`) and `cascade_claim` (the cascade-claim and
//! one-time-key-reuse-proof decoders, and redemption at a fresh broker).
//!
//! Both decoders must be total, canonical (decode → encode = input, within
//! `MAX_LEN`) and cheap; past decoding, whatever is done with the value must
//! either succeed or leave the session / ledger unchanged, with bounded work.
//!
//! The seeds are made by an honest [`RenewingWallet`] in whichever build runs
//! the generator (the seeds are written by `cargo test`, so natively): under
//! `cargo test` they reach renewal and redemption; in a `cfg(fuzzing)` build
//! (whose message digests differ) their one-time signatures fail and the
//! fuzzer explores the decoders and the checks before the signature.

use std::fmt::Debug;
use std::sync::LazyLock;

use payword::renew::{
    CascadeClaim, MAX_CASCADE, OtsReuseProof, RENEWAL_LMOTS, RenewalLink, RenewingWallet,
};
use payword::{
    Broker, Certificate, ChainId, ChainParams, ChainSeed, Commitment, CommitmentFields, Encode,
    HashAlg, MemoryStore, Session, Sha256,
};

use crate::fixture::{
    BROKER_ID, COMMIT_FROM, COMMIT_UNTIL, GRACE, NOW, Signing, VENDOR, broker_key,
    certificate_fields, customer_signer,
};

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

/// Chain length of the fixture wallet.
pub const RENEW_N: u32 = 2;

/// The fixture: a certificate, a commitment binding a renewal key, and the
/// honest wallet's first links (natively signed).
pub struct Fixture {
    /// The certificate (native signatures).
    pub certificate: Certificate,
    /// The commitment.
    pub commitment: Commitment,
    /// A session on it, at generation 0.
    pub session: Session,
    /// The honest links of generations 1..=3.
    pub links: Vec<RenewalLink>,
    /// A cascade claim over those links (one payword per chain).
    pub claim: CascadeClaim,
}

/// The fixture, built once.
pub static FIXTURE: LazyLock<Fixture> = LazyLock::new(|| {
    let certificate = Signing::Native.certificate(certificate_fields(0, 1, 1000));
    let params = ChainParams::new(HashAlg::Sha256, ChainId::from_bytes([0x5e; 16]), 2)
        .expect("fixture params");
    let mut wallet = RenewingWallet::<Sha256>::new(ChainSeed::from_bytes([0x5e; 32]), params, 0)
        .expect("fixture wallet");
    let commitment = Commitment::sign(
        CommitmentFields {
            certificate: certificate.digest(),
            vendor: VENDOR,
            unit_value: 1,
            valid_from: COMMIT_FROM,
            expires: COMMIT_UNTIL,
            chain: wallet.committed_chain(),
            renewal: Some(wallet.renewal_key()),
        },
        customer_signer(0),
    )
    .expect("fixture commitment");
    wallet.bind(&commitment).expect("bind");
    let session = Session::open(VENDOR, &broker_key(), certificate, commitment, NOW, 0)
        .expect("fixture session");
    let mut live = session.clone();
    let mut links = Vec::new();
    for _ in 0..(RENEW_N * 4) {
        let out = wallet.pay().expect("fixture pay");
        if let Some(l) = out.link {
            live.renew(&l, NOW).expect("fixture renew");
            links.push(l);
        }
        live.pay(&out.payment, NOW).expect("fixture payment");
    }
    let claim = live.cascade().expect("fixture claim");
    Fixture {
        certificate,
        commitment,
        session,
        links,
        claim,
    }
});

/// `renewal_link`: decode; the structure holds; verification and a session's
/// `renew` are total and change nothing on refusal.
pub fn renewal_link(data: &[u8]) {
    let Some(link) = decode::<RenewalLink>(data) else {
        return;
    };
    let f = link.fields();
    assert!(f.generation >= 1);
    assert_eq!(f.key.params(), RENEWAL_LMOTS);
    assert_eq!(link.signature().params(), RENEWAL_LMOTS);
    assert_eq!(link.digest(), RenewalLink::digest_of(f));
    let fx = &*FIXTURE;
    if let Some(key) = fx.commitment.fields().renewal {
        let _ = link.verify(&key);
    }
    let mut s = fx.session.clone();
    let before = (s.generation(), *s.commitment_digest());
    match s.renew(&link, NOW) {
        Ok(()) => {
            assert_eq!(s.generation(), 1);
            assert_eq!(*s.commitment_digest(), link.digest());
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert_eq!((s.generation(), *s.commitment_digest()), before);
        }
    }
}

/// `cascade_claim`: decode a cascade claim (or a reuse proof); redeem it at a
/// fresh broker: accepted claims are idempotent, refused ones leave the
/// ledger empty; a decoded proof verifies or is refused.
pub fn cascade_claim(data: &[u8]) {
    if let Some(proof) = decode::<OtsReuseProof>(data) {
        assert!(proof.path.len() < MAX_CASCADE);
        if let Ok(g) = proof.verify(&broker_key()) {
            assert_ne!(proof.first, proof.second);
            assert_eq!(usize::try_from(g).ok(), Some(proof.path.len()));
        }
        return;
    }
    let Some(claim) = decode::<CascadeClaim>(data) else {
        return;
    };
    assert!(claim.renewals.len() <= MAX_CASCADE);
    let mut b = Broker::new(BROKER_ID, broker_key(), MemoryStore::new(), GRACE);
    match b.redeem_cascade(&claim, &VENDOR, NOW) {
        Ok(r) => {
            assert_eq!(r.chains, claim.renewals.len() + 1);
            let cf = claim.certificate.fields();
            assert!(r.owed <= cf.credit_limit);
            let again = b
                .redeem_cascade(&claim, &VENDOR, NOW)
                .expect("an accepted claim is accepted again");
            assert_eq!((again.owed, again.units), (0, r.units));
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert!(
                b.store()
                    .records(payword::store::Table::Debt)
                    .next()
                    .is_none(),
                "a refused claim changed the ledger"
            );
        }
    }
}

/// The seeds of both targets.
#[must_use]
pub fn seeds() -> Vec<crate::corpus::Seed> {
    let fx = &*FIXTURE;
    let mut out: Vec<crate::corpus::Seed> = Vec::new();
    for (i, l) in fx.links.iter().take(2).enumerate() {
        out.push((
            "renewal_link",
            format!("generation-{}", i + 1),
            l.to_bytes(),
        ));
    }
    out.push(("cascade_claim", "honest".into(), fx.claim.to_bytes()));
    let mut short = fx.claim.clone();
    short.renewals.truncate(1);
    out.push(("cascade_claim", "one-link".into(), short.to_bytes()));
    if let (Some(first), Some(l)) = (fx.links.first(), fx.links.get(1)) {
        // A "proof" whose links are not siblings: refused by verification.
        let proof = OtsReuseProof {
            certificate: fx.certificate,
            commitment: fx.commitment,
            path: Vec::new(),
            first: first.clone(),
            second: l.clone(),
        };
        out.push(("cascade_claim", "not-a-proof".into(), proof.to_bytes()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The renewal seeds go through their targets, and the honest ones get
    /// all the way: the link renews a session, the claim redeems.
    #[test]
    fn renew_seeds_replay() {
        for (target, name, bytes) in seeds() {
            let f = crate::targets::by_name(target).expect("target");
            f(&bytes);
            assert!(!name.is_empty());
        }
        let fx = &*FIXTURE;
        let mut s = fx.session.clone();
        s.renew(&fx.links[0], NOW).expect("the honest link renews");
        let mut b = Broker::new(BROKER_ID, broker_key(), MemoryStore::new(), GRACE);
        let r = b.redeem_cascade(&fx.claim, &VENDOR, NOW).expect("redeems");
        assert_eq!(r.chains, fx.links.len() + 1);
        // Hostile bytes: every truncation of a link and of a claim.
        let link = fx.links[0].to_bytes();
        for len in 0..link.len() {
            renewal_link(&link[..len]);
        }
        let claim = fx.claim.to_bytes();
        for len in (0..claim.len()).step_by(13) {
            cascade_claim(&claim[..len]);
        }
    }
}
