//! Cross-checks of the stateful LMS signer ([`LmsSigningKey`]) against the
//! independent `hbs-lms` crate (Fraunhofer AISEC), for the tree heights H5
//! and H10 with the Winternitz parameters W4 and W8 (all four combinations).
//!
//! `hbs-lms` exposes only HSS over bytes, so LMS keys and signatures are
//! compared wrapped as one-level HSS (`u32str(1) ‖ LMS public key`,
//! `u32str(0) ‖ LMS signature`):
//!
//! * payword → hbs-lms: signatures made by [`LmsSigningKey::sign`] (every
//!   leaf for H5, so the first and the last; the first leaves and the last
//!   two for H10) verify under `hbs_lms::verify`, and the same signature with
//!   another message, or with a byte changed in `q`, `C`, a chain value or
//!   the path, does not. (Not a typecode: hbs-lms 0.2.0-alpha.1 panics,
//!   rather than returning an error, on a signature whose LM-OTS or LMS
//!   typecode is unknown or disagrees with its length.)
//! * hbs-lms → payword: signatures made by `hbs_lms::SigningKey` at the same
//!   leaves verify under [`hss_verify`] and (unwrapped) [`lms_verify`], and
//!   with another message or a changed byte (typecodes included) do not.
//! * Same key, same signatures: hbs-lms takes its top tree's `I` and `SEED`
//!   from its 32-byte seed by the derivation of the reference implementation
//!   (cisco/hash-sigs: `t = H(0^20 ‖ u16str(0xfefe) ‖ u8str(0) ‖ seed)`,
//!   `SEED` and `I` the same hash of `t` with 1 and 2 in place of 0), which
//!   the test reproduces; from there it derives its LM-OTS
//!   private keys the RFC 8554 Appendix A way (`H(I ‖ u32str(q) ‖ u16str(i) ‖
//!   u8str(0xff) ‖ SEED)`) and the randomizer `C` with `i = 0xfffd`, exactly
//!   as [`LmsSigningKey`] does. So [`LmsSigningKey::from_seed`] with that `I`
//!   and `SEED` must give a byte-identical public key, and both must sign a
//!   message at a leaf with byte-identical signatures; both are asserted.
//! * A property test: random messages signed at random successive leaves of
//!   keys with random `I` and `SEED` verify under `hbs_lms::verify`, and not
//!   for another message.
//!
//! Run with `-- --nocapture` to see how many signatures each side verified
//! per parameter set.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use hbs_lms::{HssParameter, LmotsAlgorithm, LmsAlgorithm, Seed, Sha256_256};
use payword::lmots::lms::{LmsParams, hss_verify, lms_verify};
use payword::lmots::signer::{LmsSigningKey, MemoryLmsStore};
use payword::lmots::{LmotsError, LmotsParams};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sha2::Digest as _;

fn hbs_ots(params: LmotsParams) -> LmotsAlgorithm {
    match params {
        LmotsParams::Sha256N32W1 => LmotsAlgorithm::LmotsW1,
        LmotsParams::Sha256N32W2 => LmotsAlgorithm::LmotsW2,
        LmotsParams::Sha256N32W4 => LmotsAlgorithm::LmotsW4,
        LmotsParams::Sha256N32W8 => LmotsAlgorithm::LmotsW8,
        _ => unreachable!("new parameter set"),
    }
}

fn hbs_lms(params: LmsParams) -> LmsAlgorithm {
    match params {
        LmsParams::Sha256M32H5 => LmsAlgorithm::LmsH5,
        LmsParams::Sha256M32H10 => LmsAlgorithm::LmsH10,
        LmsParams::Sha256M32H15 => LmsAlgorithm::LmsH15,
        LmsParams::Sha256M32H20 => LmsAlgorithm::LmsH20,
        LmsParams::Sha256M32H25 => LmsAlgorithm::LmsH25,
        _ => unreachable!("new parameter set"),
    }
}

/// Runs `f` on a thread with a large stack: `hbs-lms` keeps its keys and
/// signatures in big fixed-size arrays on the stack.
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

/// `u32str(1) ‖ LMS public key`: a one-level HSS public key.
fn hss_public(lms_public: &[u8]) -> Vec<u8> {
    [&1u32.to_be_bytes()[..], lms_public].concat()
}

/// `u32str(0) ‖ LMS signature`: a one-level HSS signature.
fn hss_signature(lms_sig: &[u8]) -> Vec<u8> {
    [&0u32.to_be_bytes()[..], lms_sig].concat()
}

fn hbs_verify(msg: &[u8], hss_sig: &[u8], hss_pk: &[u8]) -> bool {
    hbs_lms::verify::<Sha256_256>(msg, hss_sig, hss_pk).is_ok()
}

/// The top tree's `(I, SEED)` that hbs-lms derives from its 32-byte seed
/// (`ReferenceImplPrivateKey::generate_root_seed_and_lms_tree_identifier`,
/// after cisco/hash-sigs): `t = H(0^20 ‖ fefe ‖ 00 ‖ seed)`, then
/// `SEED = H(0^20 ‖ fefe ‖ 01 ‖ t)` and `I = H(0^20 ‖ fefe ‖ 02 ‖ t)[..16]`.
fn hbs_top_id_and_seed(master: &[u8; 32]) -> ([u8; 16], [u8; 32]) {
    let h = |which: u8, s: &[u8; 32]| -> [u8; 32] {
        let mut pre = [0u8; 55];
        pre[20..22].copy_from_slice(&0xfefe_u16.to_be_bytes());
        pre[22] = which;
        pre[23..].copy_from_slice(s);
        sha2::Sha256::digest(pre).into()
    };
    let t = h(0, master);
    let seed = h(1, &t);
    let mut id = [0u8; 16];
    id.copy_from_slice(&h(2, &t)[..16]);
    (id, seed)
}

/// Byte offsets worth tampering with in an LMS signature: the low byte of
/// `q`, the first byte of `C`, the first and the last chain value, the
/// first and the last path node.
fn tamper_offsets(params: LmsParams, ots: LmotsParams) -> Vec<usize> {
    let ots_end = 4 + ots.signature_len();
    let len = params.signature_len(ots);
    vec![3, 8, 8 + 32, ots_end - 1, ots_end + 4, len - 1]
}

/// The offsets of the LM-OTS and LMS typecodes in an LMS signature
/// (tampered on the payword side only: hbs-lms panics on them).
fn typecode_offsets(ots: LmotsParams) -> [usize; 2] {
    [7, 4 + ots.signature_len() + 3]
}

fn flipped(sig: &[u8], at: usize) -> Vec<u8> {
    let mut bad = sig.to_vec();
    bad[at] ^= 0x01;
    bad
}

/// What one parameter set's cross-check did.
#[derive(Debug, Default)]
struct Counts {
    payword_by_hbs: usize,
    hbs_by_payword: usize,
    rejected_by_hbs: usize,
    rejected_by_payword: usize,
    identical: usize,
}

/// The whole cross-check for one parameter set, signing at `leaves`
/// (ascending).
fn cross_check(params: LmsParams, ots: LmotsParams, leaves: &[u32]) {
    let start = Instant::now();
    let master = [(params.typecode() as u8) ^ ((ots.typecode() as u8) << 4); 32];

    // hbs-lms key, with aux data so that its signing does not rebuild the tree.
    let mut aux = vec![0u8; 1 << 17];
    let aux_len;
    let (mut hbs_sk, hbs_vk) = {
        let aux_slice: &mut &mut [u8] = &mut &mut aux[..];
        let keys = hbs_lms::keygen::<Sha256_256>(
            &[HssParameter::new(hbs_ots(ots), hbs_lms(params))],
            &Seed::from(master),
            Some(aux_slice),
        )
        .unwrap();
        aux_len = aux_slice.len();
        keys
    };
    aux.truncate(aux_len);
    let hbs_vk = hbs_vk.as_slice().to_vec();
    let hbs_keygen = start.elapsed();

    // The same key here, from the (I, SEED) hbs-lms derived.
    let t = Instant::now();
    let (id, seed) = hbs_top_id_and_seed(&master);
    let mut key = LmsSigningKey::from_seed(params, ots, id, &seed).unwrap();
    let payword_keygen = t.elapsed();
    let public = key.public_key().to_bytes();
    assert_eq!(&hbs_vk[..4], &1u32.to_be_bytes());
    assert_eq!(&hbs_vk[12..28], &id, "hbs-lms derived another I");
    assert_eq!(
        &hbs_vk[4..],
        &public[..],
        "{params}/{ots}: hbs-lms and payword keys from the same I and SEED differ"
    );
    // Point 1 wraps payword's own public key, not the one hbs-lms made.
    let pk = hss_public(&public);

    let mut store = MemoryLmsStore::new();
    let mut counts = Counts::default();
    for &q in leaves {
        if key.next_leaf() != q {
            // Jump (rebuilds the tree); only for the far leaves of H10.
            key = LmsSigningKey::resume(key.state_at(q).as_bytes(), q).unwrap();
        }
        hbs_sk.as_mut_slice()[..8].copy_from_slice(&u64::from(q).to_be_bytes());
        let msg = format!("payment at leaf {q} under {params} / {ots}");
        let msg = msg.as_bytes();

        // payword → hbs-lms.
        let sig = key.sign(&mut store, msg).unwrap();
        assert_eq!(&sig[..4], &q.to_be_bytes());
        assert_eq!(sig.len(), params.signature_len(ots));
        let hss_sig = hss_signature(&sig);
        assert!(
            hbs_verify(msg, &hss_sig, &pk),
            "hbs-lms rejects payword's {params}/{ots} signature at leaf {q}"
        );
        counts.payword_by_hbs += 1;
        assert!(!hbs_verify(b"another payment", &hss_sig, &pk));
        counts.rejected_by_hbs += 1;
        for at in tamper_offsets(params, ots) {
            assert!(
                !hbs_verify(msg, &hss_signature(&flipped(&sig, at)), &pk),
                "hbs-lms accepts a {params}/{ots} signature changed at byte {at}"
            );
            counts.rejected_by_hbs += 1;
        }

        // hbs-lms → payword.
        let hbs_sig = hbs_sk
            .try_sign_with_aux(msg, Some(&mut &mut aux[..]))
            .unwrap();
        let hbs_sig = hbs_sig.as_ref();
        assert_eq!(&hbs_sig[..4], &0u32.to_be_bytes());
        assert_eq!(&hbs_sig[4..8], &q.to_be_bytes());
        assert_eq!(hss_verify(&hbs_vk, msg, hbs_sig), Ok(()));
        assert_eq!(lms_verify(&hbs_vk[4..], msg, &hbs_sig[4..]), Ok(()));
        counts.hbs_by_payword += 1;
        assert_eq!(
            hss_verify(&hbs_vk, b"another payment", hbs_sig),
            Err(LmotsError::Invalid)
        );
        counts.rejected_by_payword += 1;
        for at in tamper_offsets(params, ots) {
            let bad = flipped(&hbs_sig[4..], at);
            assert!(
                lms_verify(&hbs_vk[4..], msg, &bad).is_err(),
                "payword accepts an hbs-lms {params}/{ots} signature changed at byte {at}"
            );
            assert!(hss_verify(&hbs_vk, msg, &hss_signature(&bad)).is_err());
            counts.rejected_by_payword += 1;
        }
        for at in typecode_offsets(ots) {
            let bad = flipped(&hbs_sig[4..], at);
            assert!(lms_verify(&hbs_vk[4..], msg, &bad).is_err());
            counts.rejected_by_payword += 1;
        }

        // Same I, SEED, leaf and randomizer derivation: the same bytes.
        assert_eq!(
            &hbs_sig[4..],
            &sig[..],
            "{params}/{ots} leaf {q}: signatures differ"
        );
        counts.identical += 1;
    }
    if key.remaining() == 0 {
        assert!(key.sign(&mut store, b"one more").is_err());
    }
    eprintln!(
        "{params} / {ots}: {} payword signatures verified by hbs-lms, {} hbs-lms signatures \
         verified by payword, {} byte-identical; {} forgeries rejected by hbs-lms, {} by payword \
         (hbs-lms keygen {:.2?}, payword keygen {:.2?}, total {:.2?})",
        counts.payword_by_hbs,
        counts.hbs_by_payword,
        counts.identical,
        counts.rejected_by_hbs,
        counts.rejected_by_payword,
        hbs_keygen,
        payword_keygen,
        start.elapsed(),
    );
    assert_eq!(counts.payword_by_hbs, leaves.len());
    assert_eq!(counts.hbs_by_payword, leaves.len());
}

/// Every leaf of an H5 tree.
fn all_h5_leaves() -> Vec<u32> {
    (0..32).collect()
}

/// The first leaves and the last two of an H10 tree.
const H10_LEAVES: [u32; 6] = [0, 1, 2, 3, 1022, 1023];

#[test]
fn h5_w4_signer_matches_hbs_lms() {
    with_big_stack(|| {
        cross_check(
            LmsParams::Sha256M32H5,
            LmotsParams::Sha256N32W4,
            &all_h5_leaves(),
        );
    });
}

#[test]
fn h5_w8_signer_matches_hbs_lms() {
    with_big_stack(|| {
        cross_check(
            LmsParams::Sha256M32H5,
            LmotsParams::Sha256N32W8,
            &all_h5_leaves(),
        );
    });
}

#[test]
fn h10_w4_signer_matches_hbs_lms() {
    with_big_stack(|| {
        cross_check(
            LmsParams::Sha256M32H10,
            LmotsParams::Sha256N32W4,
            &H10_LEAVES,
        );
    });
}

#[test]
fn h10_w8_signer_matches_hbs_lms() {
    with_big_stack(|| {
        cross_check(
            LmsParams::Sha256M32H10,
            LmotsParams::Sha256N32W8,
            &H10_LEAVES,
        );
    });
}

/// Random messages, signed at random successive leaves (skipping 0 to 3
/// leaves between them) of H5 keys with random `I` and `SEED`, verify under
/// hbs-lms, and not for another message.
#[test]
fn random_messages_at_random_leaves_verify_in_hbs_lms() {
    with_big_stack(random_messages_at_random_leaves_body);
}

fn random_messages_at_random_leaves_body() {
    static W4: AtomicUsize = AtomicUsize::new(0);
    static W8: AtomicUsize = AtomicUsize::new(0);
    let strategy = (
        prop::sample::select(vec![LmotsParams::Sha256N32W4, LmotsParams::Sha256N32W8]),
        any::<[u8; 16]>(),
        any::<[u8; 32]>(),
        prop::collection::vec((0u32..4, prop::collection::vec(any::<u8>(), 0..300)), 1..8),
    );
    let mut runner = TestRunner::new(Config {
        cases: 16,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&strategy, |(ots, id, seed, steps)| {
        let params = LmsParams::Sha256M32H5;
        let mut key = LmsSigningKey::from_seed(params, ots, id, &seed).unwrap();
        let pk = hss_public(&key.public_key().to_bytes());
        let mut store = MemoryLmsStore::new();
        let mut q = 0u32;
        for (skip, msg) in steps {
            for _ in 0..skip {
                key.sign(&mut store, b"a leaf used elsewhere").unwrap();
            }
            q += skip;
            let sig = key.sign(&mut store, &msg).unwrap();
            prop_assert_eq!(&sig[..4], &q.to_be_bytes());
            let hss_sig = hss_signature(&sig);
            prop_assert!(hbs_verify(&msg, &hss_sig, &pk), "{} leaf {}", ots, q);
            let mut other = msg.clone();
            other.push(0);
            prop_assert!(!hbs_verify(&other, &hss_sig, &pk));
            match ots {
                LmotsParams::Sha256N32W4 => W4.fetch_add(1, Ordering::Relaxed),
                _ => W8.fetch_add(1, Ordering::Relaxed),
            };
            q += 1;
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let (w4, w8) = (W4.load(Ordering::Relaxed), W8.load(Ordering::Relaxed));
    eprintln!(
        "proptest: {w4} random H5/W4 and {w8} random H5/W8 payword signatures verified by hbs-lms"
    );
    assert!(w4 + w8 >= 16);
}
