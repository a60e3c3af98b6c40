//! The decoder targets: one per message type, the `AnyMessage` dispatch, the
//! round trip (messages and persisted states), the pebbler's persisted state
//! and the text forms.
//!
//! Every decoder must be total (no panic on any input), canonical (an
//! accepted input re-encodes to exactly itself) and cheap. Past decoding, each
//! target pushes the decoded value one step further into the library: a
//! certificate is re-issued and verified, a payment is paid into a live vendor
//! session, a claim is redeemed twice at a broker.

use std::fmt::Debug;
use std::sync::LazyLock;

use payword::renew::RenewalLink;
use payword::tag;
use payword::{
    AnyMessage, Blake3, Broker, Certificate, ChainParams, Commitment, CommittedChain, Digest,
    Encode, HashAlg, MemoryStore, MessageSigner, Payment, PaymentBody, Payword, Pebbler, PublicKey,
    PurseReceiver, Receiver, RedemptionClaim, Session, Sha256, Signature, Traversal, TweakableHash,
};

use crate::choices::Choices;
use crate::fixture::{
    BROKER_ID, Chain, Funds, GRACE, NOW, Signing, VENDOR, alg_from_bit, broker_key, broker_signer,
    certificate_fields, customer_signer, id_and_seed,
};

/// Checks the canonical-encoding rule for a value decoded from `data`.
fn assert_canonical<T: Encode + PartialEq + Debug>(data: &[u8], v: &T) {
    assert!(
        data.len() <= T::MAX_LEN,
        "decoded {} bytes, MAX_LEN is {}",
        data.len(),
        T::MAX_LEN
    );
    assert_eq!(v.to_bytes(), data, "decode → encode changed the bytes");
    // A too-short buffer still reports the full length.
    assert_eq!(v.encode(&mut []), data.len());
}

/// Decodes a `T`, checking the canonical rule if it is accepted and that the
/// error displays if not.
fn decode_typed<T: Encode + PartialEq + Debug>(data: &[u8]) -> Option<T> {
    match T::decode(data) {
        Ok(v) => {
            assert_canonical(data, &v);
            Some(v)
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            None
        }
    }
}

/// `certificate`: decode; any decodable content can be issued, and what is
/// issued verifies under the broker's key and has the same identity.
pub fn certificate(data: &[u8]) {
    let Some(cert) = decode_typed::<Certificate>(data) else {
        return;
    };
    let f = *cert.fields();
    assert!(f.valid_from <= f.expires);
    let _ = cert.verify(&broker_key());
    let issued = Certificate::issue(f, broker_signer()).expect("decoded fields can be issued");
    assert_eq!(issued.fields(), &f);
    assert_eq!(issued.digest(), cert.digest());
    assert_eq!(issued.verify(&broker_key()), Ok(()));
}

/// `commitment`: decode; the content is signable, what is signed verifies,
/// and the capacity is computable.
pub fn commitment(data: &[u8]) {
    let Some(c) = decode_typed::<Commitment>(data) else {
        return;
    };
    let f = *c.fields();
    assert!(f.unit_value >= 1 && f.valid_from <= f.expires);
    assert!(f.chain.capacity() >= 1);
    let _ = f.chain.alg();
    let customer = customer_signer(0);
    let _ = c.verify(&customer.public_key());
    let signed = Commitment::sign(f, customer).expect("decoded fields can be signed");
    assert_eq!(signed.digest(), c.digest());
    assert_eq!(signed.verify(&customer.public_key()), Ok(()));
}

/// One commitment the `payment` target pays into.
#[derive(Clone, Debug)]
pub struct PayFixture {
    /// The certificate.
    pub certificate: Certificate,
    /// The commitment.
    pub commitment: Commitment,
    /// Its chains.
    pub funds: Funds,
    /// Its digest (what payments name).
    pub digest: Digest,
}

/// Unit value of the payment fixtures.
pub const PAY_UNIT_VALUE: u64 = 3;
/// The sessions' per-payment budget in the `payment` target.
pub const PAY_LIMIT: u32 = 32;

/// A single SHA-256 chain of 64 and a BLAKE3 purse (base 4, 3 chains of 16).
#[must_use]
pub fn pay_fixtures(signing: Signing) -> Vec<PayFixture> {
    let cert = signing.certificate(certificate_fields(0, 1, 1 << 20));
    let (id1, seed1) = id_and_seed(1, b"payment single");
    let (id2, seed2) = id_and_seed(2, b"payment purse");
    [
        Funds::single(HashAlg::Sha256, id1, &seed1, 64),
        Funds::purse(HashAlg::Blake3, id2, &seed2, 4, 3, 16),
    ]
    .into_iter()
    .map(|funds| {
        let commitment = signing.commitment(&cert, 0, VENDOR, PAY_UNIT_VALUE, funds.committed());
        PayFixture {
            certificate: cert,
            digest: signing.commitment_digest(&commitment),
            commitment,
            funds,
        }
    })
    .collect()
}

static PAY_SESSIONS: LazyLock<Vec<(Session, PayFixture)>> = LazyLock::new(|| {
    pay_fixtures(Signing::Native)
        .into_iter()
        .map(|fx| {
            let s = Session::open(VENDOR, &broker_key(), fx.certificate, fx.commitment, NOW, 0)
                .expect("fixture session opens")
                .with_limit(PAY_LIMIT);
            (s, fx)
        })
        .collect()
});

/// The units a body pays from fresh chains, if every payword in it is a
/// genuine payword of `funds`; `None` if any is not.
fn genuine_units(funds: &Funds, body: &PaymentBody) -> Option<u64> {
    match (funds, body) {
        (Funds::Single(c), PaymentBody::Single(p)) => c.is_genuine(p).then(|| p.index().into()),
        (Funds::Purse { .. }, PaymentBody::Purse(pay)) => {
            let mut units = 0;
            for (j, p) in pay.parts() {
                if !funds.chain(j)?.is_genuine(p) {
                    return None;
                }
                units += u64::from(p.index()) * funds.value(j);
            }
            Some(units)
        }
        _ => None,
    }
}

/// Chain steps a body needs from fresh chains.
fn steps(body: &PaymentBody) -> u64 {
    match body {
        PaymentBody::Single(p) => p.index().into(),
        PaymentBody::Purse(pay) => pay.parts().map(|(_, p)| u64::from(p.index())).sum(),
    }
}

/// `payment`: decode, then pay into a fresh vendor session (a single chain
/// and a purse). Accepted only if every payword is genuine and within the
/// budget; the value is what the paywords are worth; a replay is refused.
pub fn payment(data: &[u8]) {
    let Some(p) = decode_typed::<Payment>(data) else {
        return;
    };
    for (session, fx) in PAY_SESSIONS.iter() {
        let mut s = session.clone();
        let got = s.pay(&p, NOW);
        crate::trace!("payment: {:?} -> {got:?}", p.body());
        match got {
            Ok(value) => {
                assert_eq!(p.commitment(), &fx.digest);
                let units = genuine_units(&fx.funds, p.body())
                    .expect("a session accepted a forged payword");
                assert!(
                    steps(p.body()) <= u64::from(PAY_LIMIT),
                    "accepted over budget"
                );
                assert_eq!(value, units * PAY_UNIT_VALUE);
                assert_eq!(s.units_paid(), units);
                assert!(s.pay(&p, NOW).is_err(), "a replayed payment was accepted");
                assert_eq!(s.units_paid(), units);
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                assert_eq!(s.units_paid(), 0);
            }
        }
    }
}

/// Whether `(index, word)` hashes down to `anchor` in `index` steps: an oracle
/// independent of the receiver.
fn hashes_to_anchor(params: &ChainParams, p: &Payword, anchor: &[u8; 32]) -> bool {
    fn walk<H: TweakableHash>(params: &ChainParams, p: &Payword) -> [u8; 32] {
        let mut w = *p.word();
        for i in (1..=p.index()).rev() {
            w = H::chain_step(params.id(), i, &w);
        }
        w.to_bytes()
    }
    let w = match params.alg() {
        HashAlg::Blake3 => walk::<Blake3>(params, p),
        _ => walk::<Sha256>(params, p),
    };
    p.index() <= params.length() && w == *anchor
}

/// Whether every payword of `body` is genuine for the committed chain(s).
fn body_is_genuine(chain: &CommittedChain, body: &PaymentBody) -> bool {
    match (chain, body) {
        (CommittedChain::Single { params, anchor }, PaymentBody::Single(p)) => {
            hashes_to_anchor(params, p, anchor.as_bytes())
        }
        (CommittedChain::Purse { params, anchors }, PaymentBody::Purse(pay)) => {
            pay.parts().all(|(j, p)| {
                match (params.chain(j), anchors.as_slice().get(usize::from(j))) {
                    (Ok(cp), Some(a)) => hashes_to_anchor(&cp, p, a.as_bytes()),
                    _ => false,
                }
            })
        }
        _ => false,
    }
}

/// Units a body is worth under `chain`'s denominations.
fn units_of(chain: &CommittedChain, body: &PaymentBody) -> u64 {
    match (chain, body) {
        (CommittedChain::Purse { params, .. }, PaymentBody::Purse(pay)) => pay
            .parts()
            .map(|(j, p)| u64::from(p.index()) * params.value(j))
            .sum(),
        (_, b) => steps(b),
    }
}

/// The broker's per-claim budget in the `redemption_claim` target.
pub const CLAIM_LIMIT: u32 = 1 << 12;

/// `redemption_claim`: decode, then redeem at a fresh broker (as the named
/// vendor, when the commitment starts). An accepted claim carries genuine
/// paywords, owes `min(value, credit limit)`, proves overspending exactly when
/// the value is over the limit (and the proof verifies), and is idempotent; a
/// refused one leaves the ledger empty.
pub fn redemption_claim(data: &[u8]) {
    let Some(claim) = decode_typed::<RedemptionClaim>(data) else {
        return;
    };
    let mut broker =
        Broker::new(BROKER_ID, broker_key(), MemoryStore::new(), GRACE).with_limit(CLAIM_LIMIT);
    let mf = *claim.commitment.fields();
    let cert = *claim.certificate.fields();
    let got = broker.redeem(&claim, &mf.vendor, mf.valid_from);
    crate::trace!("redemption_claim: {:?} -> {got:?}", claim.payment.body());
    match got {
        Err(e) => {
            assert!(!e.to_string().is_empty());
            assert!(
                broker
                    .store()
                    .records(payword::store::Table::Debt)
                    .next()
                    .is_none()
            );
        }
        Ok(r) => {
            assert_eq!(r.commitment, claim.commitment.digest());
            assert!(
                body_is_genuine(&mf.chain, claim.payment.body()),
                "broker accepted a forged payword"
            );
            assert!(
                steps(claim.payment.body()) <= u64::from(CLAIM_LIMIT),
                "accepted over budget"
            );
            let units = units_of(&mf.chain, claim.payment.body());
            assert_eq!(r.units, units);
            let value = units * mf.unit_value;
            assert_eq!(r.owed, value.min(cert.credit_limit));
            assert_eq!(r.overspent.is_some(), value > cert.credit_limit);
            if let Some(proof) = &r.overspent {
                assert_eq!(proof.verify(&broker_key(), CLAIM_LIMIT), Ok(value));
            }
            let again = broker
                .redeem(&claim, &mf.vendor, mf.valid_from)
                .expect("a repeated claim is accepted");
            assert_eq!((again.owed, again.units, again.overspent), (0, units, None));
            assert_eq!(
                broker.store().records(payword::store::Table::Debt).count(),
                1
            );
        }
    }
}

/// The typed decoder for `data`'s tag, as an `AnyMessage`.
fn decode_by_tag(data: &[u8]) -> Option<Result<AnyMessage, payword::DecodeError>> {
    Some(match *data.first()? {
        tag::CERTIFICATE => Certificate::decode(data).map(AnyMessage::Certificate),
        tag::COMMITMENT => Commitment::decode(data).map(AnyMessage::Commitment),
        tag::PAYMENT => Payment::decode(data).map(AnyMessage::Payment),
        tag::REDEMPTION_CLAIM => RedemptionClaim::decode(data).map(AnyMessage::RedemptionClaim),
        _ => return None,
    })
}

/// `decode_any`: `AnyMessage::decode` agrees with the typed decoder its first
/// byte names (same value, same error), refuses unknown tags, no two typed
/// decoders accept the same bytes, and what it accepts re-encodes exactly.
pub fn decode_any(data: &[u8]) {
    let any = AnyMessage::decode(data);
    match decode_by_tag(data) {
        Some(typed) => assert_eq!(any, typed),
        None => assert!(any.is_err(), "AnyMessage accepted an unknown tag"),
    }
    let accepted = [
        Certificate::decode(data).is_ok(),
        Commitment::decode(data).is_ok(),
        Payment::decode(data).is_ok(),
        RedemptionClaim::decode(data).is_ok(),
    ];
    assert_eq!(
        accepted.iter().filter(|&&a| a).count(),
        usize::from(any.is_ok())
    );
    match any {
        Ok(m) => {
            assert!(!m.to_string().is_empty());
            let mut out = vec![0u8; data.len()];
            assert_eq!(m.encode(&mut out), data.len());
            assert_eq!(out, data);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// `round_trip`: for every input a decoder accepts, encoding gives back
/// exactly the input: messages (through `AnyMessage`), pebbler states and
/// vendor receiver states. Uses no signature or digest, so it runs the same
/// code as a normal build.
pub fn round_trip(data: &[u8]) {
    receiver_states::<Sha256>(data);
    receiver_states::<Blake3>(data);
    if let Ok(m) = AnyMessage::decode(data) {
        let mut out = vec![0u8; data.len() + 1];
        let len = m.encode(&mut out);
        assert_eq!(
            &out[..len],
            data,
            "message decode → encode changed the bytes"
        );
    }
    if let Ok(p) = Pebbler::<Sha256>::decode(data) {
        assert_eq!(
            &p.to_bytes()[..],
            data,
            "pebbler state decode → encode changed the bytes"
        );
    }
    if let Ok(p) = Pebbler::<Blake3>::decode(data) {
        assert_eq!(
            &p.to_bytes()[..],
            data,
            "pebbler state decode → encode changed the bytes"
        );
    }
}

/// A vendor's receiver states (single chain, purse) decoded from `data`
/// re-encode to exactly `data`.
fn receiver_states<H: TweakableHash>(data: &[u8]) {
    if let Ok(r) = Receiver::<H>::decode(data) {
        let mut out = [0u8; Receiver::<Sha256>::ENCODED_LEN];
        assert_eq!(r.encode(&mut out), data.len());
        assert_eq!(
            &out[..],
            data,
            "receiver state decode → encode changed the bytes"
        );
        assert!(r.paid() <= r.params().length());
    }
    if let Ok(r) = PurseReceiver::<H>::decode(data) {
        let mut out = [0u8; PurseReceiver::<Sha256>::MAX_ENCODED_LEN];
        let len = r.encode(&mut out);
        assert_eq!(
            &out[..len],
            data,
            "purse receiver state decode → encode changed the bytes"
        );
    }
}

/// `text_forms`: the input (UTF-8, invalid sequences replaced) read as the
/// text form of each plain message and of an offer, as a `payword:` URI, as
/// a public key (base64url and hex) and as a signature. Every decoder is total; the allocating and the buffer
/// decoders agree; an accepted text is the one text of its value (encoding
/// it again gives the input back).
pub fn text_forms(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    text_typed::<Payment>(&text);
    text_typed::<Certificate>(&text);
    text_typed::<Commitment>(&text);
    text_typed::<RedemptionClaim>(&text);
    text_typed::<RenewalLink>(&text);
    text_typed::<payword::offer::Offer>(&text);
    match payword::uri::PaywordUri::parse(&text) {
        Ok(u) => assert_eq!(u.to_string(), text, "URI parse → display changed it"),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    match PublicKey::from_text(&text) {
        Ok(k) => assert_eq!(k.to_text(), text, "key text decode → encode changed it"),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    match text.parse::<PublicKey>() {
        Ok(k) => assert_eq!(k.to_string(), text, "key hex parse → display changed it"),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
    match Signature::from_text(&text) {
        Ok(sig) => assert_eq!(sig.to_text(), text, "signature text changed"),
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

fn text_typed<T: Encode + PartialEq + Debug>(text: &str) {
    let got = T::from_text(text);
    let mut scratch = vec![0u8; T::MAX_LEN];
    assert_eq!(
        T::decode_text(text, &mut scratch),
        got,
        "the text decoders disagree"
    );
    match got {
        Ok(v) => {
            assert_eq!(v.to_text(), text, "text decode → encode changed the text");
            assert_canonical(&v.to_bytes(), &v);
        }
        Err(e) => assert!(!e.to_string().is_empty()),
    }
}

/// Paywords emitted from a decoded pebbler state per input.
pub const PEBBLER_EMIT: usize = 64;

/// A state beginning with the version byte 1 is decoded as is; any other
/// input describes a genuine pebbler (see [`genuine_pebbler`]).
pub fn pebbler_state(data: &[u8]) {
    match data.split_first() {
        Some((1, _)) => {
            decode_and_emit::<Sha256>(data);
            decode_and_emit::<Blake3>(data);
        }
        Some((_, rest)) => genuine_pebbler(rest),
        None => genuine_pebbler(&[]),
    }
}

/// Decodes an arbitrary state and emits a bounded number of paywords: never a
/// panic, every index within the chain, `emitted` following the output.
fn decode_and_emit<H: TweakableHash>(data: &[u8]) {
    let mut p = match Pebbler::<H>::decode(data) {
        Ok(p) => p,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    assert_eq!(&p.to_bytes()[..], data);
    let n = p.params().length();
    assert!(p.emitted() <= n);
    assert!(p.stored_words() <= payword::MAX_PEBBLES);
    for _ in 0..PEBBLER_EMIT {
        let Some(w) = p.next_payword() else { break };
        assert!(w.index() <= n, "emitted index {} past n = {n}", w.index());
        assert_eq!(p.emitted(), w.index());
    }
    let _ = p.to_bytes();
    let _ = format!("{p:?}");
}

/// The input picks a hash, `n ≤ 1024`, a seed and a number of paywords to
/// spend; the state of a genuine pebbler after them decodes, re-encodes
/// exactly, and the restored pebbler continues with the same genuine words.
pub fn genuine_pebbler(data: &[u8]) {
    let mut c = Choices::new(data);
    let alg = alg_from_bit(c.u8() & 1 == 1);
    let n = 1 + u32::from(c.u16()) % 1024;
    let spent = u32::from(c.u16()) % (n + 1);
    let (id, seed) = id_and_seed(0x9e, &c.array::<8>());
    let params = ChainParams::new(alg, id, n.into()).expect("1 ≤ n ≤ 1024");
    match alg {
        HashAlg::Blake3 => genuine::<Blake3>(params, &seed, spent),
        _ => genuine::<Sha256>(params, &seed, spent),
    }
}

fn genuine<H: TweakableHash>(params: ChainParams, seed: &payword::ChainSeed, spent: u32) {
    let chain = Chain::new(params, seed);
    let n = params.length();
    let mut p = Pebbler::<H>::new(seed, params).expect("matching hash");
    assert_eq!(p.anchor(), chain.anchor());
    if spent > 0 {
        let w = p.advance(spent).expect("spent ≤ n");
        assert_eq!(w, Payword::new(spent, chain.word(spent)));
    }
    let bytes = p.to_bytes();
    let mut q = Pebbler::<H>::decode(&bytes).expect("a pebbler's own state decodes");
    assert_eq!(&q.to_bytes()[..], &bytes[..]);
    assert_eq!(q.emitted(), spent);
    for i in spent + 1..=(spent + 16).min(n) {
        let (a, b) = (p.next_payword(), q.next_payword());
        assert_eq!(a, b, "restored pebbler diverged");
        assert_eq!(
            a,
            Some(Payword::new(i, chain.word(i))),
            "pebbler emitted a wrong word"
        );
    }
    if spent + 16 >= n {
        assert_eq!((p.next_payword(), q.next_payword()), (None, None));
    }
}
