//! Cross-checks against the independent `hbs-lms` crate (Fraunhofer AISEC),
//! and property tests of LM-OTS.
//!
//! `hbs-lms` exposes only HSS (`keygen`, `sign`, `verify` over bytes); its
//! LM-OTS and LMS layers are private. So the comparison is made where both
//! meet the wire:
//!
//! * hbs-lms → payword: keys and signatures made by `hbs_lms::keygen` and
//!   `SigningKey::try_sign` (one and two levels, every LM-OTS set) verify
//!   under [`hss_verify`] and [`lms_verify`], and tampered ones do not.
//! * payword → hbs-lms: LMS trees whose leaves are this crate's
//!   [`LmotsPrivateKey`]s, signed with [`LmotsPrivateKey::sign_with_randomizer`]
//!   and assembled into HSS signatures, verify under `hbs_lms::verify`.
//!
//! Together with the RFC 8554 vectors (which cover only W4 and W8) this
//! checks W1 and W2 against a second implementation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use hbs_lms::signature::SignerMut as _;
use hbs_lms::{HssParameter, LmotsAlgorithm, LmsAlgorithm, Seed, Sha256_256};
use payword::lmots::lms::{
    LmsParams, LmsPublicKey, hss_verify, interior_hash, leaf_hash, lms_verify,
};
use payword::lmots::{LmotsError, LmotsParams, LmotsPrivateKey};
use proptest::prelude::*;

fn hbs_ots(params: LmotsParams) -> LmotsAlgorithm {
    match params {
        LmotsParams::Sha256N32W1 => LmotsAlgorithm::LmotsW1,
        LmotsParams::Sha256N32W2 => LmotsAlgorithm::LmotsW2,
        LmotsParams::Sha256N32W4 => LmotsAlgorithm::LmotsW4,
        LmotsParams::Sha256N32W8 => LmotsAlgorithm::LmotsW8,
        _ => unreachable!("new parameter set"),
    }
}

/// Runs `f` on a thread with a large stack: `hbs-lms` keeps its keys and
/// signatures in big fixed-size arrays on the stack, which overflows the
/// 2 MiB of a test thread once dependencies are optimised (inlining merges
/// the frames).
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

/// An hbs-lms HSS key pair: (signing key, encoded public key).
fn hbs_keygen(levels: &[LmotsParams], seed: u8) -> (hbs_lms::SigningKey<Sha256_256>, Vec<u8>) {
    let params: Vec<HssParameter<Sha256_256>> = levels
        .iter()
        .map(|&p| HssParameter::new(hbs_ots(p), LmsAlgorithm::LmsH5))
        .collect();
    let seed = Seed::<Sha256_256>::from([seed; 32]);
    let (sk, vk) = hbs_lms::keygen::<Sha256_256>(&params, &seed, None).unwrap();
    (sk, vk.as_slice().to_vec())
}

#[test]
fn hbs_lms_single_level_signatures_verify_here() {
    with_big_stack(hbs_lms_single_level_signatures_verify_here_body);
}

fn hbs_lms_single_level_signatures_verify_here_body() {
    for (n, params) in LmotsParams::ALL.into_iter().enumerate() {
        let (mut sk, pk) = hbs_keygen(&[params], n as u8);
        assert_eq!(&pk[..4], &[0, 0, 0, 1]);
        let lms_pk = LmsPublicKey::from_bytes(&pk[4..]).unwrap();
        assert_eq!(lms_pk.ots_params(), params);
        assert_eq!(lms_pk.params(), LmsParams::Sha256M32H5);
        // Two signatures: leaves 0 and 1.
        for msg in [&b"first payment"[..], b"second payment"] {
            let sig = sk.try_sign(msg).unwrap();
            let sig = sig.as_ref();
            assert_eq!(hss_verify(&pk, msg, sig), Ok(()), "{params}");
            // An L = 1 HSS signature is u32str(0) || LMS signature.
            assert_eq!(&sig[..4], &[0, 0, 0, 0]);
            assert_eq!(lms_verify(&pk[4..], msg, &sig[4..]), Ok(()));
            assert_eq!(hss_verify(&pk, b"other", sig), Err(LmotsError::Invalid));
            let mut bad = sig.to_vec();
            *bad.last_mut().unwrap() ^= 1;
            assert_eq!(hss_verify(&pk, msg, &bad), Err(LmotsError::Invalid));
        }
    }
}

#[test]
fn hbs_lms_two_level_signatures_verify_here() {
    with_big_stack(hbs_lms_two_level_signatures_verify_here_body);
}

fn hbs_lms_two_level_signatures_verify_here_body() {
    for levels in [
        [LmotsParams::Sha256N32W4, LmotsParams::Sha256N32W2],
        [LmotsParams::Sha256N32W1, LmotsParams::Sha256N32W1],
    ] {
        let (mut sk, pk) = hbs_keygen(&levels, 0x77);
        assert_eq!(&pk[..4], &[0, 0, 0, 2]);
        for i in 0..3u8 {
            let msg = [i; 40];
            let sig = sk.try_sign(&msg).unwrap();
            assert_eq!(
                hss_verify(&pk, &msg, sig.as_ref()),
                Ok(()),
                "{levels:?} #{i}"
            );
            assert_eq!(
                hss_verify(&pk, &[i; 41], sig.as_ref()),
                Err(LmotsError::Invalid)
            );
        }
    }
}

/// A height-5 LMS tree of this crate's LM-OTS keys: (public key, nodes, seed).
struct Tree {
    public: LmsPublicKey,
    nodes: Vec<[u8; 32]>,
    seed: [u8; 32],
}

impl Tree {
    fn new(ots: LmotsParams, id: [u8; 16], seed: [u8; 32]) -> Self {
        let params = LmsParams::Sha256M32H5;
        let leaves = params.leaves();
        let mut nodes = vec![[0u8; 32]; 2 * leaves as usize];
        for q in 0..leaves {
            let k = LmotsPrivateKey::from_seed(ots, id, q, &seed).public_key();
            nodes[(leaves + q) as usize] = leaf_hash(&id, leaves + q, k.k());
        }
        for r in (1..leaves as usize).rev() {
            nodes[r] = interior_hash(&id, r as u32, &nodes[2 * r], &nodes[2 * r + 1]);
        }
        Self {
            public: LmsPublicKey::new(params, ots, id, nodes[1]),
            nodes,
            seed,
        }
    }

    /// The LMS signature of leaf `q` (RFC 8554, section 5.4.1).
    fn sign(&self, q: u32, message: &[u8]) -> Vec<u8> {
        let key = &self.public;
        let c = [q as u8 ^ 0xc5; 32];
        let ots = LmotsPrivateKey::from_seed(key.ots_params(), *key.id(), q, &self.seed)
            .sign_with_randomizer(c, message);
        let mut sig = q.to_be_bytes().to_vec();
        sig.extend(ots.to_vec());
        sig.extend(key.params().typecode().to_be_bytes());
        let mut r = (key.params().leaves() + q) as usize;
        while r > 1 {
            sig.extend(self.nodes[r ^ 1]);
            r /= 2;
        }
        sig
    }
}

#[test]
fn payword_single_level_signatures_verify_in_hbs_lms() {
    with_big_stack(payword_single_level_signatures_verify_in_hbs_lms_body);
}

fn payword_single_level_signatures_verify_in_hbs_lms_body() {
    for (n, params) in LmotsParams::ALL.into_iter().enumerate() {
        let tree = Tree::new(params, [n as u8 + 1; 16], [0xa0 + n as u8; 32]);
        let pk = [&1u32.to_be_bytes()[..], &tree.public.to_bytes()].concat();
        for q in [0, 13, 31] {
            let msg = format!("payment {q} under {params}");
            let sig = [&0u32.to_be_bytes()[..], &tree.sign(q, msg.as_bytes())].concat();
            assert!(
                hbs_lms::verify::<Sha256_256>(msg.as_bytes(), &sig, &pk).is_ok(),
                "hbs-lms rejects {params} leaf {q}"
            );
            assert!(hbs_lms::verify::<Sha256_256>(b"other", &sig, &pk).is_err());
            assert_eq!(hss_verify(&pk, msg.as_bytes(), &sig), Ok(()));
        }
    }
}

#[test]
fn payword_two_level_signatures_verify_in_hbs_lms() {
    with_big_stack(payword_two_level_signatures_verify_in_hbs_lms_body);
}

fn payword_two_level_signatures_verify_in_hbs_lms_body() {
    let top = Tree::new(LmotsParams::Sha256N32W2, [0x10; 16], [0x20; 32]);
    let bottom = Tree::new(LmotsParams::Sha256N32W1, [0x30; 16], [0x40; 32]);
    let pk = [&2u32.to_be_bytes()[..], &top.public.to_bytes()].concat();
    let msg = b"renewal link: next chain anchor";
    let sig = [
        &1u32.to_be_bytes()[..],
        &top.sign(7, &bottom.public.to_bytes()),
        &bottom.public.to_bytes(),
        &bottom.sign(21, msg),
    ]
    .concat();
    assert!(hbs_lms::verify::<Sha256_256>(msg, &sig, &pk).is_ok());
    assert_eq!(hss_verify(&pk, msg, &sig), Ok(()));
    let mut bad = sig.clone();
    bad[100] ^= 4;
    assert!(hbs_lms::verify::<Sha256_256>(msg, &bad, &pk).is_err());
    assert_eq!(hss_verify(&pk, msg, &bad), Err(LmotsError::Invalid));
}

fn any_params() -> impl Strategy<Value = LmotsParams> {
    prop::sample::select(LmotsParams::ALL.to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A signature verifies for its own key and message, and for no other
    /// key (other seed, I or q) and no other message.
    #[test]
    fn signature_verifies_only_for_its_key_and_message(
        params in any_params(),
        seed in any::<[u8; 32]>(),
        other_seed in any::<[u8; 32]>(),
        id in any::<[u8; 16]>(),
        q in any::<u32>(),
        c in any::<[u8; 32]>(),
        msg in prop::collection::vec(any::<u8>(), 0..200),
        other_msg in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        let sk = LmotsPrivateKey::from_seed(params, id, q, &seed);
        let pk = sk.public_key();
        let sig = sk.sign_with_randomizer(c, &msg);
        prop_assert_eq!(pk.verify(&msg, &sig), Ok(()));
        if other_msg != msg {
            prop_assert_eq!(pk.verify(&other_msg, &sig), Err(LmotsError::Invalid));
        }
        if other_seed != seed {
            let other = LmotsPrivateKey::from_seed(params, id, q, &other_seed).public_key();
            prop_assert_eq!(other.verify(&msg, &sig), Err(LmotsError::Invalid));
        }
        let other_q = LmotsPrivateKey::from_seed(params, id, q ^ 1, &seed).public_key();
        prop_assert_eq!(other_q.verify(&msg, &sig), Err(LmotsError::Invalid));
        let mut other_id = id;
        other_id[15] ^= 0x80;
        let other_id = LmotsPrivateKey::from_seed(params, other_id, q, &seed).public_key();
        prop_assert_eq!(other_id.verify(&msg, &sig), Err(LmotsError::Invalid));
    }

    /// Decoding arbitrary bytes never panics, and whatever decodes
    /// re-encodes to the same bytes.
    #[test]
    fn decoding_arbitrary_bytes_is_total_and_canonical(
        typecode in 0u32..6,
        body in prop::collection::vec(any::<u8>(), 0..2300),
    ) {
        let bytes = [&typecode.to_be_bytes()[..], &body].concat();
        if let Ok(sig) = payword::lmots::LmotsSignature::from_bytes(&bytes) {
            prop_assert_eq!(sig.to_vec(), bytes.clone());
        }
        if let Ok(pk) = payword::lmots::LmotsPublicKey::from_bytes(&bytes) {
            prop_assert_eq!(pk.to_bytes().to_vec(), bytes.clone());
        }
        if let Ok(pk) = LmsPublicKey::from_bytes(&bytes) {
            prop_assert_eq!(pk.to_bytes().to_vec(), bytes.clone());
        }
        let _ = hss_verify(&bytes, b"m", &bytes);
        let _ = lms_verify(&bytes, b"m", &bytes);
    }
}
