//! RFC 8554 known-answer tests for LM-OTS, LMS and HSS.
//!
//! * Appendix F, Test Cases 1 and 2 (`vectors/lmots_rfc8554_appendix_f.json`):
//!   two-level HSS signatures, verified as a whole and level by level. Test
//!   Case 2 also publishes the private keys (`SEED`, `I` of both levels), so
//!   the LM-OTS signatures are regenerated from them byte for byte (key
//!   derivation of Appendix A, Algorithm 3) and the tree roots are recomputed
//!   (Algorithm 1 and the tree of section 5.3).
//! * `vectors/lmots.json`: this crate's own vectors for all four LM-OTS sets,
//!   made by [`generate_lmots_vectors`]. The test regenerates them and
//!   compares; set `PAYWORD_REGEN_VECTORS=1` to rewrite the file after an
//!   intended change.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use payword::lmots::lms::{
    LmsParams, LmsPublicKey, hss_verify, interior_hash, leaf_hash, lms_verify,
};
use payword::lmots::{LmotsError, LmotsParams, LmotsPrivateKey, LmotsPublicKey, LmotsSignature};
use serde_json::{Value, json};

const APPENDIX_F: &str = include_str!("vectors/lmots_rfc8554_appendix_f.json");
const LMOTS_VECTORS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/lmots.json");

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd-length hex");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn arr<const L: usize>(b: &[u8]) -> [u8; L] {
    b.try_into().unwrap()
}

struct Case {
    public_key: Vec<u8>,
    message: Vec<u8>,
    signature: Vec<u8>,
    private: Option<Value>,
}

fn case(n: usize) -> Case {
    let v: Value = serde_json::from_str(APPENDIX_F).unwrap();
    let c = &v["test_cases"][n - 1];
    assert_eq!(c["name"], format!("RFC 8554 Appendix F Test Case {n}"));
    let message = hex(c["message"].as_str().unwrap());
    assert_eq!(message, c["message_text"].as_str().unwrap().as_bytes());
    Case {
        public_key: hex(c["public_key"].as_str().unwrap()),
        message,
        signature: hex(c["signature"].as_str().unwrap()),
        private: c.get("private_key").cloned(),
    }
}

/// The parts of a two-level HSS signature.
struct Parts<'a> {
    top: LmsPublicKey,
    sig0: &'a [u8],
    pub1: &'a [u8],
    sig1: &'a [u8],
}

fn split_two_levels<'a>(public_key: &[u8], signature: &'a [u8]) -> Parts<'a> {
    assert_eq!(&public_key[..4], &[0, 0, 0, 2], "L = 2");
    assert_eq!(&signature[..4], &[0, 0, 0, 1], "Nspk = 1");
    let top = LmsPublicKey::from_bytes(&public_key[4..]).unwrap();
    let len0 = top.params().signature_len(top.ots_params());
    let sig0 = &signature[4..4 + len0];
    let pub1 = &signature[4 + len0..4 + len0 + LmsPublicKey::ENCODED_LEN];
    let sig1 = &signature[4 + len0 + LmsPublicKey::ENCODED_LEN..];
    Parts {
        top,
        sig0,
        pub1,
        sig1,
    }
}

#[test]
fn appendix_f_test_case_1_verifies() {
    let c = case(1);
    assert_eq!(c.signature.len(), 2644);
    assert_eq!(hss_verify(&c.public_key, &c.message, &c.signature), Ok(()));
    let p = split_two_levels(&c.public_key, &c.signature);
    assert_eq!(p.top.params(), LmsParams::Sha256M32H5);
    assert_eq!(p.top.ots_params(), LmotsParams::Sha256N32W8);
    let bottom = LmsPublicKey::from_bytes(p.pub1).unwrap();
    assert_eq!(bottom.params(), LmsParams::Sha256M32H5);
    assert_eq!(bottom.ots_params(), LmotsParams::Sha256N32W8);
    // Each LMS signature of the chain on its own.
    assert_eq!(lms_verify(&c.public_key[4..], p.pub1, p.sig0), Ok(()));
    assert_eq!(lms_verify(p.pub1, &c.message, p.sig1), Ok(()));
}

#[test]
fn appendix_f_test_case_2_verifies() {
    let c = case(2);
    assert_eq!(c.signature.len(), 3860);
    assert_eq!(hss_verify(&c.public_key, &c.message, &c.signature), Ok(()));
    let p = split_two_levels(&c.public_key, &c.signature);
    assert_eq!(p.top.params(), LmsParams::Sha256M32H10);
    assert_eq!(p.top.ots_params(), LmotsParams::Sha256N32W4);
    let bottom = LmsPublicKey::from_bytes(p.pub1).unwrap();
    assert_eq!(bottom.params(), LmsParams::Sha256M32H5);
    assert_eq!(bottom.ots_params(), LmotsParams::Sha256N32W8);
    assert_eq!(p.top.verify(p.pub1, p.sig0), Ok(()));
    assert_eq!(bottom.verify(&c.message, p.sig1), Ok(()));
    // The levels are not interchangeable.
    assert_eq!(
        bottom.verify(p.pub1, p.sig0),
        Err(LmotsError::TypeMismatch {
            expected: 4,
            found: 3
        })
    );
}

/// Regenerates the LM-OTS part of one LMS signature from the published
/// private key of Test Case 2 and compares it byte for byte.
fn regenerate_ots(seed: &[u8; 32], key: &LmsPublicKey, message: &[u8], lms_sig: &[u8]) -> u32 {
    let q = u32::from_be_bytes(arr(&lms_sig[..4]));
    let ots_len = key.ots_params().signature_len();
    let published = LmotsSignature::from_bytes(&lms_sig[4..4 + ots_len]).unwrap();
    let sk = LmotsPrivateKey::from_seed(key.ots_params(), *key.id(), q, seed);
    let public = sk.public_key();
    let ours = sk.sign_with_randomizer(*published.randomizer(), message);
    assert_eq!(ours, published, "LM-OTS signature of leaf {q}");
    assert_eq!(to_hex(&ours.to_vec()), to_hex(&lms_sig[4..4 + ots_len]));
    assert_eq!(public.verify(message, &published), Ok(()));
    q
}

#[test]
fn appendix_f_test_case_2_signatures_regenerate_from_private_keys() {
    let c = case(2);
    let private = c
        .private
        .as_ref()
        .expect("Test Case 2 publishes its private key");
    let seed0: [u8; 32] = arr(&hex(private[0]["SEED"].as_str().unwrap()));
    let id0: [u8; 16] = arr(&hex(private[0]["I"].as_str().unwrap()));
    let seed1: [u8; 32] = arr(&hex(private[1]["SEED"].as_str().unwrap()));
    let id1: [u8; 16] = arr(&hex(private[1]["I"].as_str().unwrap()));
    let p = split_two_levels(&c.public_key, &c.signature);
    let bottom = LmsPublicKey::from_bytes(p.pub1).unwrap();
    assert_eq!(p.top.id(), &id0);
    assert_eq!(bottom.id(), &id1);
    let q0 = regenerate_ots(&seed0, &p.top, p.pub1, p.sig0);
    let q1 = regenerate_ots(&seed1, &bottom, &c.message, p.sig1);
    assert_eq!(
        (q0, q1),
        (3, 4),
        "the leaves RFC 8554 Appendix F signs with"
    );
}

/// All `2^(h+1)` nodes of the tree of `(ots, id, seed)`: node `r` at index `r`.
fn tree_nodes(params: LmsParams, ots: LmotsParams, id: [u8; 16], seed: &[u8; 32]) -> Vec<[u8; 32]> {
    let leaves = params.leaves();
    let mut nodes = vec![[0u8; 32]; 2 * leaves as usize];
    for q in 0..leaves {
        let k = LmotsPrivateKey::from_seed(ots, id, q, seed).public_key();
        nodes[(leaves + q) as usize] = leaf_hash(&id, leaves + q, k.k());
    }
    for r in (1..leaves as usize).rev() {
        nodes[r] = interior_hash(&id, r as u32, &nodes[2 * r], &nodes[2 * r + 1]);
    }
    nodes
}

fn check_tree(key: &LmsPublicKey, seed: &[u8; 32], lms_sig: &[u8]) {
    let nodes = tree_nodes(key.params(), key.ots_params(), *key.id(), seed);
    assert_eq!(&nodes[1], key.root(), "root of {}", key.params());
    // The authentication path in the signature is the siblings' nodes.
    let q = u32::from_be_bytes(arr(&lms_sig[..4]));
    let path = &lms_sig[8 + key.ots_params().signature_len()..];
    let mut r = (key.params().leaves() + q) as usize;
    for node in path.chunks_exact(32) {
        assert_eq!(node, &nodes[r ^ 1]);
        r /= 2;
    }
    assert_eq!(r, 1);
}

#[test]
fn appendix_f_test_case_2_bottom_tree_from_private_key() {
    let c = case(2);
    let private = c.private.unwrap();
    let seed1: [u8; 32] = arr(&hex(private[1]["SEED"].as_str().unwrap()));
    let p = split_two_levels(&c.public_key, &c.signature);
    // H5/W8: 32 leaves of 34·255 chain steps.
    check_tree(&LmsPublicKey::from_bytes(p.pub1).unwrap(), &seed1, p.sig1);
}

#[test]
fn appendix_f_test_case_2_top_tree_from_private_key() {
    let c = case(2);
    let private = c.private.unwrap();
    let seed0: [u8; 32] = arr(&hex(private[0]["SEED"].as_str().unwrap()));
    let p = split_two_levels(&c.public_key, &c.signature);
    // H10/W4: 1024 leaves of 67·15 chain steps (about a million hashes).
    check_tree(&p.top, &seed0, p.sig0);
}

#[test]
fn appendix_f_tampering_rejects() {
    for n in [1, 2] {
        let c = case(n);
        let (pk, msg, sig) = (&c.public_key, &c.message, &c.signature);
        let mut m = msg.clone();
        m[0] ^= 1;
        assert_eq!(hss_verify(pk, &m, sig), Err(LmotsError::Invalid));
        assert_eq!(
            hss_verify(pk, &msg[..msg.len() - 1], sig),
            Err(LmotsError::Invalid)
        );
        // Flip one bit in: q of sig0, C of sig0, a y word of sig0, the path
        // of sig0, pub1's I, pub1's root, C of sig1, y of sig1, the last
        // path node of sig1.
        let p = split_two_levels(pk, sig);
        let len0 = p.sig0.len();
        let ots0 = p.top.ots_params().signature_len();
        let at_sig1 = 4 + len0 + 56;
        for at in [
            4 + 3,
            4 + 8,
            4 + 40 + 100,
            4 + 8 + ots0 + 5,
            4 + len0 + 8,
            4 + len0 + 30,
            at_sig1 + 9,
            at_sig1 + 300,
            sig.len() - 1,
        ] {
            let mut s = sig.clone();
            s[at] ^= 0x10;
            assert_eq!(
                hss_verify(pk, msg, &s),
                Err(LmotsError::Invalid),
                "case {n} byte {at}"
            );
        }
        // Public key flips: the root, the I.
        for at in [4 + 8, pk.len() - 1] {
            let mut k = pk.clone();
            k[at] ^= 0x01;
            assert_eq!(hss_verify(&k, msg, sig), Err(LmotsError::Invalid));
        }
        // Every truncation and an extension fail without panicking.
        for len in 0..sig.len() {
            assert!(hss_verify(pk, msg, &sig[..len]).is_err());
        }
        let mut long = sig.clone();
        long.push(0);
        assert!(matches!(
            hss_verify(pk, msg, &long),
            Err(LmotsError::WrongLength { .. })
        ));
        // Level count disagreements.
        let mut k = pk.clone();
        k[3] = 1;
        assert_eq!(
            hss_verify(&k, msg, sig),
            Err(LmotsError::LevelMismatch {
                expected: 1,
                found: 2
            })
        );
        let mut s = sig.clone();
        s[3] = 2;
        assert_eq!(
            hss_verify(pk, msg, &s),
            Err(LmotsError::LevelMismatch {
                expected: 2,
                found: 3
            })
        );
    }
}

// ---------------------------------------------------------------------------
// This crate's own LM-OTS vectors: tests/vectors/lmots.json.
// ---------------------------------------------------------------------------

const KAT_ID: &str = "000102030405060708090a0b0c0d0e0f";
const KAT_Q: u32 = 0x0102_0304;
const KAT_SEED: &str = "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f";
const KAT_C: &str = "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f";
const KAT_MESSAGE: &str = "payword LM-OTS known-answer vector";

/// The vectors, computed by this crate from fixed inputs.
fn generate_lmots_vectors() -> Value {
    let id: [u8; 16] = arr(&hex(KAT_ID));
    let seed: [u8; 32] = arr(&hex(KAT_SEED));
    let c: [u8; 32] = arr(&hex(KAT_C));
    let vectors: Vec<Value> = LmotsParams::ALL
        .iter()
        .map(|&params| {
            let sk = LmotsPrivateKey::from_seed(params, id, KAT_Q, &seed);
            let public = sk.public_key();
            let sig = sk.sign_with_randomizer(c, KAT_MESSAGE.as_bytes());
            json!({
                "name": params.name(),
                "typecode": params.typecode(),
                "I": KAT_ID,
                "q": KAT_Q,
                "SEED": KAT_SEED,
                "C": KAT_C,
                "message": to_hex(KAT_MESSAGE.as_bytes()),
                "message_text": KAT_MESSAGE,
                "K": to_hex(public.k()),
                "public_key": to_hex(&public.to_bytes()),
                "signature": to_hex(&sig.to_vec()),
            })
        })
        .collect();
    json!({
        "description": "LM-OTS (RFC 8554 section 4) known-answer vectors produced by payword: \
            private key from SEED per RFC 8554 Appendix A, public key per Algorithm 1 \
            (encoding u32str(type) || I || u32str(q) || K), signature per Algorithm 3 with the \
            given randomizer C (encoding u32str(type) || C || y[0] || ... || y[p-1]).",
        "generator": "cargo test --test lmots_rfc8554 lmots_json_vectors (PAYWORD_REGEN_VECTORS=1 rewrites)",
        "vectors": vectors,
    })
}

#[test]
fn lmots_json_vectors() {
    let generated = generate_lmots_vectors();
    let text = serde_json::to_string_pretty(&generated).unwrap() + "\n";
    if std::env::var("PAYWORD_REGEN_VECTORS").as_deref() == Ok("1") {
        std::fs::write(LMOTS_VECTORS_PATH, &text).unwrap();
        eprintln!("rewrote {LMOTS_VECTORS_PATH}");
    }
    let stored_text = std::fs::read_to_string(LMOTS_VECTORS_PATH)
        .expect("tests/vectors/lmots.json is missing: run with PAYWORD_REGEN_VECTORS=1");
    let stored: Value = serde_json::from_str(&stored_text).unwrap();
    // Field by field first, for a readable failure.
    let (g, s) = (
        generated["vectors"].as_array().unwrap(),
        stored["vectors"].as_array().unwrap(),
    );
    assert_eq!(g.len(), s.len());
    for (g, s) in g.iter().zip(s) {
        for (field, value) in g.as_object().unwrap() {
            assert_eq!(
                Some(value),
                s.get(field),
                "{} field {field} differs from tests/vectors/lmots.json \
                 (PAYWORD_REGEN_VECTORS=1 rewrites it after an intended change)",
                g["name"]
            );
        }
    }
    assert_eq!(
        stored_text, text,
        "tests/vectors/lmots.json differs in layout"
    );

    // The stored vectors stand on their own: decode, verify, reject a
    // changed message, and re-encode to the same bytes.
    for v in s {
        let params = LmotsParams::from_typecode(v["typecode"].as_u64().unwrap() as u32).unwrap();
        let pk_bytes = hex(v["public_key"].as_str().unwrap());
        let sig_bytes = hex(v["signature"].as_str().unwrap());
        let msg = hex(v["message"].as_str().unwrap());
        let pk = LmotsPublicKey::from_bytes(&pk_bytes).unwrap();
        let sig = LmotsSignature::from_bytes(&sig_bytes).unwrap();
        assert_eq!((pk.params(), sig.params()), (params, params));
        assert_eq!(sig_bytes.len(), params.signature_len());
        assert_eq!(pk.to_bytes().to_vec(), pk_bytes);
        assert_eq!(sig.to_vec(), sig_bytes);
        assert_eq!(pk.verify(&msg, &sig), Ok(()));
        assert_eq!(
            pk.verify(b"another message", &sig),
            Err(LmotsError::Invalid)
        );
    }
}
