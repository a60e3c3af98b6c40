//! The seeds: a handful of valid inputs per target, generated here and
//! committed under `fuzz/seeds/<target>/` ([`seeds_dir`]).
//!
//! Messages are signed as a `cfg(fuzzing)` build signs ([`Signing::Fuzzing`]),
//! so that in the fuzzer they pass signature checks and lead it straight to
//! the code behind them; payments and claims are made for the commitments the
//! `payment` target's sessions hold. Everything is deterministic.
//!
//! The seeds are kept apart from `fuzz/corpus/<target>/`, the fuzzer's working
//! corpus (ignored by git): `cargo fuzz run` writes whatever it finds into the
//! first corpus folder it is given, so no test reads `fuzz/corpus/`. Fuzz with
//!
//! ```text
//! mkdir -p fuzz/corpus/<target>
//! cargo +nightly fuzz run <target> fuzz/corpus/<target> fuzz/seeds/<target>
//! ```
//!
//! `cargo test` (in `fuzz/`) checks the committed seeds are exactly what this
//! generator writes; after changing it (or the wire format), regenerate with
//!
//! ```text
//! PAYWORD_FUZZ_BLESS=1 cargo test --manifest-path fuzz/Cargo.toml seeds_are_up_to_date
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;

use payword::{
    Anchor, AnyMessage, Blake3, Certificate, CertificateFields, ChainId, ChainParams, ChainSeed,
    CommittedChain, Encode, HashAlg, Payment, PaymentBody, Payword, Pebbler, PublicKey,
    PurseAnchors, PurseParams, PursePayment, PurseReceiver, Receiver, RedemptionClaim, Sha256,
    Signature, Traversal, TweakableHash, Word,
};

use crate::codec::{PayFixture, pay_fixtures};
use crate::fixture::{Funds, Signing, VENDOR, certificate_fields, id_and_seed};
use crate::{ledger, vendor};

/// `fuzz/seeds/`: the committed seeds, one folder per target. `cargo test`
/// replays these and `fuzz/regressions/`, never the fuzzer's working corpus
/// `fuzz/corpus/`.
#[must_use]
pub fn seeds_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("seeds")
}

/// The seed files committed under [`seeds_dir`] for every target, by
/// (target, file name); hidden files are skipped.
///
/// # Panics
///
/// If a target's folder is missing or a file cannot be read.
#[must_use]
pub fn committed_seeds() -> BTreeMap<(String, String), Vec<u8>> {
    let root = seeds_dir();
    let mut have = BTreeMap::new();
    for (t, _) in crate::targets::ALL {
        let dir = root.join(t);
        let files = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .flatten();
        for f in files {
            let name = f.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') {
                have.insert((t.to_string(), name), std::fs::read(f.path()).unwrap());
            }
        }
    }
    have
}

/// One seed file: target, file name, contents.
pub type Seed = (&'static str, String, Vec<u8>);

fn certificates() -> Vec<(String, Vec<u8>)> {
    let s = Signing::Fuzzing;
    let extreme = CertificateFields {
        serial: u64::MAX,
        credit_limit: u64::MAX,
        valid_from: 0,
        expires: u64::MAX,
        ..certificate_fields(2, 0, 0)
    };
    let instant = CertificateFields {
        valid_from: 77,
        expires: 77,
        ..certificate_fields(1, 5, 1)
    };
    vec![
        (
            "basic".into(),
            s.certificate(certificate_fields(0, 1, 1000)).to_bytes(),
        ),
        (
            "zero-limit".into(),
            s.certificate(certificate_fields(1, 2, 0)).to_bytes(),
        ),
        ("extreme".into(), s.certificate(extreme).to_bytes()),
        ("one-instant".into(), s.certificate(instant).to_bytes()),
    ]
}

fn commitments() -> Vec<(String, Vec<u8>)> {
    let s = Signing::Fuzzing;
    let cert = s.certificate(certificate_fields(0, 1, 1000));
    let (id, seed) = id_and_seed(3, b"corpus");
    let wide = PurseParams::new(HashAlg::Sha256, id, 100, 8, 1000).expect("fits");
    let anchors: Vec<_> = (0..8)
        .map(|j| payword::Anchor::from_bytes([j; 32]))
        .collect();
    let wide = CommittedChain::Purse {
        params: wide,
        anchors: PurseAnchors::from_slice(&anchors).expect("8 anchors"),
    };
    let long = CommittedChain::Single {
        params: ChainParams::new(HashAlg::Blake3, id, u64::from(u32::MAX)).expect("max length"),
        anchor: payword::Anchor::from_bytes([9; 32]),
    };
    let mut out: Vec<(String, Vec<u8>)> = pay_fixtures(s)
        .iter()
        .map(|fx| {
            let name = if fx.funds.is_purse() {
                "purse-blake3"
            } else {
                "single-sha256"
            };
            (name.to_string(), fx.commitment.to_bytes())
        })
        .collect();
    out.push((
        "single-length-1".into(),
        s.commitment(
            &cert,
            0,
            VENDOR,
            1,
            Funds::single(HashAlg::Sha256, id, &seed, 1).committed(),
        )
        .to_bytes(),
    ));
    out.push((
        "purse-8-denominations".into(),
        s.commitment(&cert, 0, VENDOR, 7, wide).to_bytes(),
    ));
    out.push((
        "single-max-length".into(),
        s.commitment(&cert, 1, VENDOR, u64::MAX / 2, long)
            .to_bytes(),
    ));
    out
}

fn single(i: u32, w: Word) -> PaymentBody {
    PaymentBody::Single(Payword::new(i, w))
}

fn payments() -> Vec<(String, Vec<u8>)> {
    let fx = pay_fixtures(Signing::Fuzzing);
    let (one, purse) = (&fx[0], &fx[1]);
    let c = one.funds.chain(0).expect("chain");
    let pay = |fx: &PayFixture, body| Payment::new(fx.digest, body).to_bytes();
    let mut flipped = c.word(3).to_bytes();
    flipped[0] ^= 1;
    let purse_body = |parts: &[(u8, u32)]| {
        PaymentBody::Purse(parts.iter().fold(PursePayment::new(), |p, &(j, i)| {
            p.with(
                j,
                Payword::new(
                    i,
                    purse
                        .funds
                        .chain(j)
                        .map_or(Word::from_bytes([0; 32]), |c| c.word(i)),
                ),
            )
        }))
    };
    vec![
        ("single-first".into(), pay(one, single(1, c.word(1)))),
        ("single-at-budget".into(), pay(one, single(32, c.word(32)))),
        (
            "single-over-budget".into(),
            pay(one, single(33, c.word(33))),
        ),
        (
            "single-forged".into(),
            pay(one, single(3, Word::from_bytes(flipped))),
        ),
        (
            "single-max-index".into(),
            pay(one, single(u32::MAX, c.word(64))),
        ),
        (
            "purse-digits".into(),
            pay(purse, purse_body(&[(0, 3), (1, 2), (2, 1)])),
        ),
        ("purse-one-part".into(), pay(purse, purse_body(&[(2, 5)]))),
        (
            "purse-unknown-denomination".into(),
            pay(purse, purse_body(&[(0, 1), (7, 1)])),
        ),
        ("wrong-kind".into(), pay(one, purse_body(&[(0, 1)]))),
    ]
}

fn claims() -> Vec<(String, Vec<u8>)> {
    let s = Signing::Fuzzing;
    let fx = pay_fixtures(s);
    let claim = |fx: &PayFixture, body| RedemptionClaim {
        certificate: fx.certificate,
        commitment: fx.commitment,
        payment: Payment::new(fx.digest, body),
    };
    let (one, purse) = (&fx[0], &fx[1]);
    let c = one.funds.chain(0).expect("chain");
    let pc = |j: u8, i: u32| Payword::new(i, purse.funds.chain(j).expect("chain").word(i));
    // A certificate whose limit a single payment of 10 units overspends.
    let tight_cert = s.certificate(certificate_fields(1, 9, 20));
    let (id, seed) = id_and_seed(4, b"tight");
    let funds = Funds::single(HashAlg::Blake3, id, &seed, 16);
    let tight_commitment = s.commitment(&tight_cert, 1, VENDOR, 3, funds.committed());
    let tight = RedemptionClaim {
        certificate: tight_cert,
        commitment: tight_commitment,
        payment: Payment::new(
            s.commitment_digest(&tight_commitment),
            single(10, funds.chain(0).expect("chain").word(10)),
        ),
    };
    vec![
        (
            "single".into(),
            claim(one, single(10, c.word(10))).to_bytes(),
        ),
        (
            "single-full".into(),
            claim(one, single(64, c.word(64))).to_bytes(),
        ),
        (
            "purse".into(),
            claim(
                purse,
                PaymentBody::Purse(PursePayment::new().with(0, pc(0, 2)).with(2, pc(2, 16))),
            )
            .to_bytes(),
        ),
        ("overspent".into(), tight.to_bytes()),
    ]
}

fn pebbler_states() -> Vec<(String, Vec<u8>)> {
    fn state<H: TweakableHash>(alg: HashAlg, n: u32, spent: u32) -> Vec<u8> {
        let params =
            ChainParams::new(alg, ChainId::from_bytes([n as u8; 16]), n.into()).expect("n ≥ 1");
        let mut p =
            Pebbler::<H>::new(&ChainSeed::from_bytes([0x42; 32]), params).expect("matching hash");
        if spent > 0 {
            p.advance(spent).expect("spent ≤ n");
        }
        p.to_bytes().to_vec()
    }
    vec![
        (
            "sha256-n1-fresh".into(),
            state::<Sha256>(HashAlg::Sha256, 1, 0),
        ),
        (
            "sha256-n64-spent10".into(),
            state::<Sha256>(HashAlg::Sha256, 64, 10),
        ),
        (
            "sha256-n1000-spent999".into(),
            state::<Sha256>(HashAlg::Sha256, 1000, 999),
        ),
        (
            "blake3-n5-exhausted".into(),
            state::<Blake3>(HashAlg::Blake3, 5, 5),
        ),
        (
            "blake3-n1024-spent300".into(),
            state::<Blake3>(HashAlg::Blake3, 1024, 300),
        ),
    ]
}

/// Programs of the genuine-pebbler path: not version 1, then hash bit, n,
/// paywords spent, seed.
fn genuine_pebblers() -> Vec<(String, Vec<u8>)> {
    let prog = |alg: u8, n: u16, spent: u16| {
        let mut v = vec![0, alg];
        v.extend_from_slice(&(n - 1).to_be_bytes());
        v.extend_from_slice(&spent.to_be_bytes());
        v.extend_from_slice(b"seed0001");
        v
    };
    vec![
        ("genuine-sha256-n1000-spent500".into(), prog(0, 1000, 500)),
        ("genuine-blake3-n7-spent0".into(), prog(1, 7, 0)),
        ("genuine-sha256-n16-spent10".into(), prog(0, 16, 10)),
    ]
}

fn vendor_sessions() -> Vec<(String, Vec<u8>)> {
    use vendor::{Forgery, Op, Pick, Setup};
    let single = Setup {
        kind: 0,
        seed: *b"vend",
        m: 0,
        base: 0,
        n: 15, // n = 16
        unit: 4,
        skew: 2,
        open_at: 5,
        limit: 8,
    };
    let single_ops = [
        Op::Pay(Pick::Next),
        Op::Pay(Pick::Ahead(2)),
        Op::Pay(Pick::Replay),
        Op::Forge(Pick::Next, Forgery::Flip { at: 3, mask: 0x10 }),
        Op::Forge(Pick::Ahead(1), Forgery::Neighbour),
        Op::Pay(Pick::Ahead(8)),
        Op::Pay(Pick::Ahead(7)),
        Op::WrongDigest(Pick::Next, 0, 1),
        Op::Pay(Pick::Zero),
        Op::Pay(Pick::PastEnd),
        Op::Pay(Pick::Max),
        Op::Limit(100),
        Op::Clock(1020),
        Op::Pay(Pick::Next),
        Op::FarClock(u64::MAX),
        Op::Pay(Pick::Next),
        Op::Clock(500),
        Op::Pay(Pick::At(16)),
        Op::Purse(1, vec![(Pick::Next, false)]),
    ];
    let purse = Setup {
        kind: 3,
        seed: *b"purs",
        m: 2,    // 3 denominations
        base: 1, // base 3
        n: 9,    // n = 10
        unit: 0,
        skew: 0,
        open_at: 1029,
        limit: 12,
    };
    let purse_ops = [
        Op::Purse(
            0b111,
            vec![
                (Pick::Ahead(1), false),
                (Pick::Next, false),
                (Pick::Next, false),
            ],
        ),
        Op::Purse(0b010, vec![(Pick::Ahead(2), true)]),
        Op::Purse(0b001, vec![(Pick::Ahead(20), false)]),
        Op::Purse(0, vec![]),
        Op::Purse(0b1000_0001, vec![(Pick::Next, false), (Pick::Next, false)]),
        Op::Purse(0b101, vec![(Pick::Replay, false), (Pick::Next, false)]),
        Op::Limit(3),
        Op::Purse(0b011, vec![(Pick::Next, false), (Pick::Ahead(1), false)]),
        Op::Pay(Pick::Next),
        Op::Purse(0b100, vec![(Pick::At(10), false)]),
    ];
    let long = Setup {
        kind: 1,
        seed: *b"long",
        m: 0,
        base: 0,
        n: 511,
        unit: 255,
        skew: 7,
        open_at: 0,
        limit: 513,
    };
    let long_ops = [
        Op::Pay(Pick::At(511)),
        Op::Pay(Pick::Next),
        Op::Pay(Pick::Next),
    ];
    vec![
        ("single".into(), vendor::script(&single, &single_ops)),
        ("purse".into(), vendor::script(&purse, &purse_ops)),
        ("long-chain".into(), vendor::script(&long, &long_ops)),
    ]
}

fn broker_ledgers() -> Vec<(String, Vec<u8>)> {
    use ledger::{BodySpec, CertSpec, CommitSpec, Op};
    let body = |mask: u8, a: u8, b: u8| BodySpec {
        mask,
        index: [a, b],
    };
    let certs = [
        CertSpec {
            limit: 4, // 64
            commitments: vec![
                CommitSpec {
                    kind: 0,
                    n: 31,
                    unit: 1,
                    seed: 1,
                },
                CommitSpec {
                    kind: 0b0001_1011, // BLAKE3 purse, 2 denominations, base 3
                    n: 15,
                    unit: 0,
                    seed: 2,
                },
            ],
        },
        CertSpec {
            limit: 255,
            commitments: vec![CommitSpec {
                kind: 0b100, // the other vendor
                n: 63,
                unit: 15,
                seed: 3,
            }],
        },
    ];
    let ops = [
        Op::Claim {
            commit: 0,
            body: body(0, 5, 0),
            at_edge: false,
        },
        Op::Claim {
            commit: 0,
            body: body(0, 3, 0),
            at_edge: false,
        },
        Op::Claim {
            commit: 1,
            body: body(0b11, 4, 2),
            at_edge: true,
        },
        Op::Again(0),
        Op::Forged(0, body(0, 9, 0), 0),
        Op::Forged(1, body(0b11, 2, 9), 1),
        Op::WrongVendor(2, body(0, 10, 0)),
        Op::Late(2, body(0, 10, 0)),
        Op::Claim {
            commit: 2,
            body: body(0, 20, 0),
            at_edge: false,
        },
        Op::Claim {
            commit: 0,
            body: body(0, 31, 0),
            at_edge: false,
        },
        Op::Claim {
            commit: 1,
            body: body(0b10, 0, 15),
            at_edge: false,
        },
        Op::Claim {
            commit: 1,
            body: body(0, 0, 0),
            at_edge: false,
        },
        Op::Again(3),
    ];
    let one = [CertSpec {
        limit: 0,
        commitments: vec![CommitSpec {
            kind: 0b10,
            n: 0,
            unit: 0,
            seed: 0,
        }],
    }];
    let one_ops = [
        Op::Claim {
            commit: 0,
            body: body(0b1, 0, 0),
            at_edge: false,
        },
        Op::Claim {
            commit: 0,
            body: body(0b1, 1, 0),
            at_edge: false,
        },
        Op::Again(0),
        Op::Again(1),
    ];
    vec![
        ("two-customers".into(), ledger::script(&certs, &ops)),
        ("zero-limit".into(), ledger::script(&one, &one_ops)),
    ]
}

/// Seeds of `round_trip`: a vendor's receiver states (a single SHA-256
/// chain after 5 units, a BLAKE3 purse after one payment).
fn receiver_states() -> Vec<(String, Vec<u8>)> {
    let (id, _) = id_and_seed(0x5e, &[]);
    let params = ChainParams::new(HashAlg::Sha256, id, 64).expect("n ≥ 1");
    let single = Receiver::<Sha256>::resume(params, Payword::new(5, Word::from_bytes([0x35; 32])))
        .expect("5 ≤ n")
        .with_limit(32);
    let mut one = vec![0u8; Receiver::<Sha256>::ENCODED_LEN];
    single.encode(&mut one);
    let purse_params = PurseParams::new(HashAlg::Blake3, id, 10, 3, 20).expect("purse");
    let anchors = PurseAnchors::from_slice(&[
        Anchor::from_bytes([0x40; 32]),
        Anchor::from_bytes([0x41; 32]),
        Anchor::from_bytes([0x42; 32]),
    ])
    .expect("3 anchors");
    let paid = PursePayment::new().with(1, Payword::new(2, Word::from_bytes([0x36; 32])));
    let purse = PurseReceiver::<Blake3>::resume(purse_params, anchors, &paid).expect("purse");
    let mut three = vec![0u8; PurseReceiver::<Blake3>::MAX_ENCODED_LEN];
    let len = purse.encode(&mut three);
    three.truncate(len);
    vec![
        ("receiver-state-sha256".into(), one),
        ("purse-receiver-state-blake3".into(), three),
    ]
}

/// Seeds of `text_forms`: the texts of a certificate, a payment and a claim
/// seed, a key's text and hex, a signature's text, and a padded payment text
/// (refused), and a one-shot payment and an offer as `payword:` URIs.
fn text_forms(
    certs: &[(String, Vec<u8>)],
    pays: &[(String, Vec<u8>)],
    claims: &[(String, Vec<u8>)],
) -> Vec<(String, Vec<u8>)> {
    let first =
        |files: &[(String, Vec<u8>)]| files.first().map(|(_, b)| b.clone()).unwrap_or_default();
    let cert = Certificate::decode(&first(certs)).expect("certificate seed");
    let pay = Payment::decode(&first(pays))
        .expect("payment seed")
        .to_text();
    let claim = RedemptionClaim::decode(&first(claims)).expect("claim seed");
    let key = PublicKey::ed25519([0x42; 32]);
    vec![
        ("certificate".into(), cert.to_text().into_bytes()),
        ("payment".into(), pay.clone().into_bytes()),
        ("claim".into(), claim.to_text().into_bytes()),
        ("public-key".into(), key.to_text().into_bytes()),
        ("public-key-hex".into(), key.to_string().into_bytes()),
        (
            "signature".into(),
            Signature::ed25519([7; 64]).to_text().into_bytes(),
        ),
        ("padded-payment".into(), format!("{pay}=").into_bytes()),
        (
            "pay-uri".into(),
            payword::uri::PaywordUri::Pay(claim)
                .to_string()
                .into_bytes(),
        ),
        ("offer-uri".into(), offer_uri(&cert).into_bytes()),
    ]
}

/// A `payword:offer:` URI accepting the broker of `cert`.
fn offer_uri(cert: &Certificate) -> String {
    use payword::offer::{AcceptedBroker, Brokers, ChainKinds, Offer, OfferFields};
    let vendor = ed25519_dalek::SigningKey::from_bytes(&[0x0f; 32]);
    let fields = OfferFields {
        vendor: payword::VendorId::from_bytes([0x0e; 32]),
        vendor_key: payword::MessageSigner::public_key(&vendor),
        brokers: Brokers::new(&[AcceptedBroker {
            id: cert.fields().broker,
            key: PublicKey::ed25519([0x42; 32]),
        }])
        .expect("one broker"),
        price: 1,
        unit_value: 5,
        kinds: ChainKinds::ALL,
        max_chain: 1 << 16,
        valid_from: 0,
        expires: u64::MAX,
    };
    let offer = Offer::sign(fields, &vendor).expect("offer seed");
    payword::uri::PaywordUri::Offer(offer).to_string()
}

/// Every seed file.
#[must_use]
pub fn seeds() -> Vec<Seed> {
    let mut out: Vec<Seed> = Vec::new();
    let mut add = |target: &'static str, files: Vec<(String, Vec<u8>)>| {
        out.extend(files.into_iter().map(|(name, bytes)| (target, name, bytes)));
    };
    let (certs, commits, pays, claims) = (certificates(), commitments(), payments(), claims());
    let states = pebbler_states();
    let messages: Vec<(String, Vec<u8>)> = [&certs, &commits, &pays, &claims]
        .into_iter()
        .zip(["certificate", "commitment", "payment", "claim"])
        .flat_map(|(files, kind)| {
            files
                .iter()
                .take(2)
                .map(move |(n, b)| (format!("{kind}-{n}"), b.clone()))
        })
        .collect();
    let mut any = messages.clone();
    any.push(("unknown-tag".into(), vec![0x14, 1]));
    any.push(("wrong-version".into(), vec![0x12, 2]));
    let mut round = messages;
    round.extend(
        states
            .iter()
            .take(3)
            .map(|(n, b)| (format!("pebbler-{n}"), b.clone())),
    );
    round.extend(receiver_states());
    let texts = text_forms(&certs, &pays, &claims);
    let mut pebbler = states;
    pebbler.extend(genuine_pebblers());
    add("certificate", certs);
    add("commitment", commits);
    add("payment", pays);
    add("redemption_claim", claims);
    add("decode_any", any);
    add("round_trip", round);
    add("pebbler_state", pebbler);
    add("vendor_session", vendor_sessions());
    add("broker_ledger", broker_ledgers());
    add("text_forms", texts);
    out.extend(crate::multi::seeds());
    out.extend(crate::renew::seeds());
    out.extend(crate::lms::seeds());
    out.extend(crate::goods::seeds());
    out.extend(crate::symmetric::seeds());
    out.extend(crate::kernel_lanes::seeds());
    out
}

/// Whether every message seed decodes (a generator bug otherwise).
#[must_use]
pub fn message_seeds_decode() -> bool {
    seeds()
        .iter()
        .filter(|(t, _, _)| {
            matches!(
                *t,
                "certificate" | "commitment" | "payment" | "redemption_claim"
            )
        })
        .all(|(_, _, b)| AnyMessage::decode(b).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed seeds are what the generator writes
    /// (`PAYWORD_FUZZ_BLESS=1` rewrites them).
    #[test]
    fn seeds_are_up_to_date() {
        assert!(message_seeds_decode());
        let want: BTreeMap<(String, String), Vec<u8>> = seeds()
            .into_iter()
            .map(|(t, n, b)| ((t.to_string(), n), b))
            .collect();
        assert!(want.len() < 160, "keep the seeds few");
        if std::env::var_os("PAYWORD_FUZZ_BLESS").is_some() {
            let root = seeds_dir();
            for (t, _) in crate::targets::ALL {
                let dir = root.join(t);
                if dir.exists() {
                    std::fs::remove_dir_all(&dir).unwrap();
                }
                std::fs::create_dir_all(&dir).unwrap();
            }
            for ((t, n), b) in &want {
                std::fs::write(root.join(t).join(n), b).unwrap();
            }
        }
        let have = committed_seeds();
        let total: usize = have.values().map(Vec::len).sum();
        assert!(total < 256 * 1024, "the seeds are {total} bytes");
        assert!(
            have == want,
            "fuzz/seeds is stale: run PAYWORD_FUZZ_BLESS=1 cargo test --manifest-path fuzz/Cargo.toml seeds_are_up_to_date"
        );
    }
}
