//! Replays the fuzz inputs kept in the repository through the decoders.
//!
//! Every file under `fuzz/regressions/<target>/` (inputs that once crashed a
//! fuzz target) and `fuzz/seeds/<target>/` (the committed seeds) is decoded as
//! a message (`AnyMessage` and the typed decoder of its target) and as a pebbler
//! state. Whatever decodes must re-encode to exactly the input (one canonical
//! encoding per value), and emitting paywords from a decoded pebbler state
//! must stay within its chain. The inputs of the LMS targets are decoded as
//! what those targets read instead: `lms_signature` files as LMS signatures
//! (`Signature::lms`, re-encoding exactly, bytes and text), `lms_key_state`
//! files as `floor ‖ key state` (`LmsSigningKey::resume`, re-encoding
//! exactly; states of H10 and H15 trees are not resumed, their trees being
//! too costly to build here). This uses only the public API and the real
//! primitives; the full target logic (vendor sessions, broker ledger) is
//! replayed by `cargo test` in `fuzz/`, which runs the fuzz crate's own code.
//!
//! `fuzz/corpus/<target>/`, the fuzzer's working corpus (ignored by git), is
//! never read: `cargo fuzz run` writes whatever it finds there.
#![cfg(feature = "ed25519")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Debug;
use std::path::{Path, PathBuf};

use payword::{
    AnyMessage, Blake3, Certificate, Commitment, Encode, Payment, Pebbler, RedemptionClaim, Sha256,
    Traversal, TweakableHash,
};

/// Every file directly under `fuzz/<dir>/<target>/`, as (target, path).
fn inputs(dir: &str) -> Vec<(String, PathBuf)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(dir);
    let mut out = Vec::new();
    let Ok(targets) = std::fs::read_dir(&root) else {
        return out;
    };
    for t in targets.map(Result::unwrap) {
        if !t.path().is_dir() {
            continue;
        }
        let target = t.file_name().to_string_lossy().into_owned();
        for f in std::fs::read_dir(t.path()).unwrap().map(Result::unwrap) {
            let name = f.file_name().to_string_lossy().into_owned();
            if f.path().is_file() && !name.starts_with('.') && name != "README.md" {
                out.push((target.clone(), f.path()));
            }
        }
    }
    out.sort();
    out
}

/// Decodes a `T`; if accepted, the encoding is the input. Returns whether it
/// was accepted.
fn typed<T: Encode + PartialEq + Debug>(data: &[u8], path: &Path) -> bool {
    match T::decode(data) {
        Ok(v) => {
            assert_eq!(
                v.to_bytes(),
                data,
                "{}: decode → encode changed the bytes",
                path.display()
            );
            assert!(data.len() <= T::MAX_LEN, "{}", path.display());
            true
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            false
        }
    }
}

/// A decoded pebbler state re-encodes exactly and emits indexes within its
/// chain.
fn pebbler<H: TweakableHash>(data: &[u8], path: &Path) -> bool {
    let Ok(mut p) = Pebbler::<H>::decode(data) else {
        return false;
    };
    assert_eq!(
        &p.to_bytes()[..],
        data,
        "{}: pebbler state re-encodes differently",
        path.display()
    );
    let n = p.params().length();
    for _ in 0..64 {
        let Some(w) = p.next_payword() else { break };
        assert!(
            w.index() <= n,
            "{}: index {} past n = {n}",
            path.display(),
            w.index()
        );
    }
    true
}

/// The inputs of the LMS targets: `Some(whether it decoded)` for an
/// `lms_signature` or `lms_key_state` file, `None` for any other.
#[cfg(feature = "lms")]
fn check_lms(target: &str, data: &[u8], path: &Path) -> Option<bool> {
    use payword::lmots::lms::LmsParams;
    use payword::lmots::signer::LmsSigningKey;
    use payword::{SigAlg, Signature};

    match target {
        "lms_signature" => Some(match Signature::lms(data) {
            Ok(sig) => {
                assert_eq!(sig.alg(), SigAlg::Lms, "{}", path.display());
                assert_eq!(
                    sig.as_bytes(),
                    data,
                    "{}: decode → encode changed the bytes",
                    path.display()
                );
                assert_eq!(
                    Signature::from_text(&sig.to_text()),
                    Ok(sig),
                    "{}",
                    path.display()
                );
                true
            }
            Err(e) => {
                assert!(!e.to_string().is_empty());
                false
            }
        }),
        "lms_key_state" => {
            // floor (u32, big-endian) ‖ state; as the target, missing floor
            // bytes are zeros.
            let (head, state) = data.split_at(data.len().min(4));
            let mut floor = [0u8; 4];
            floor[..head.len()].copy_from_slice(head);
            let floor = u32::from_be_bytes(floor);
            let tall = state.get(2..6).is_some_and(|t| {
                let t = u32::from_be_bytes(t.try_into().unwrap());
                [LmsParams::Sha256M32H10, LmsParams::Sha256M32H15]
                    .iter()
                    .any(|p| p.typecode() == t)
            });
            if tall {
                return Some(false);
            }
            Some(match LmsSigningKey::resume(state, floor) {
                Ok(key) => {
                    assert_eq!(
                        &key.state_at(key.next_leaf()).as_bytes()[..],
                        state,
                        "{}: a resumed key state re-encodes differently",
                        path.display()
                    );
                    assert!(key.next_leaf() >= floor, "{}", path.display());
                    true
                }
                Err(e) => {
                    assert!(!e.to_string().is_empty());
                    false
                }
            })
        }
        _ => None,
    }
}

/// The checks for one input; returns whether anything decoded it.
fn check(target: &str, path: &Path) -> bool {
    let data = std::fs::read(path).unwrap();
    #[cfg(feature = "lms")]
    if let Some(decoded) = check_lms(target, &data, path) {
        return decoded;
    }
    let any = match AnyMessage::decode(&data) {
        Ok(m) => {
            let mut out = vec![0u8; data.len()];
            assert_eq!(m.encode(&mut out), data.len(), "{}", path.display());
            assert_eq!(
                out,
                data,
                "{}: decode → encode changed the bytes",
                path.display()
            );
            true
        }
        Err(e) => {
            assert!(!e.to_string().is_empty());
            false
        }
    };
    let typed = match target {
        "certificate" => typed::<Certificate>(&data, path),
        "commitment" => typed::<Commitment>(&data, path),
        "payment" => typed::<Payment>(&data, path),
        "redemption_claim" => typed::<RedemptionClaim>(&data, path),
        _ => any,
    };
    assert_eq!(
        typed,
        any,
        "{}: AnyMessage and the typed decoder disagree",
        path.display()
    );
    let state = pebbler::<Sha256>(&data, path) | pebbler::<Blake3>(&data, path);
    any || state
}

#[test]
fn fuzz_regressions_replay() {
    for (target, path) in inputs("regressions") {
        check(&target, &path);
    }
}

/// Replays the committed seeds (`fuzz/seeds/`); returns the files replayed.
fn replay_seeds() -> Vec<(String, PathBuf)> {
    let files = inputs("seeds");
    assert!(!files.is_empty(), "fuzz/seeds is missing");
    // The seeds of the decoder targets are valid encodings.
    for (target, path) in &files {
        let decoded = check(target, path);
        let lms = cfg!(feature = "lms") && target == "lms_signature";
        if lms
            || matches!(
                target.as_str(),
                "certificate" | "commitment" | "payment" | "redemption_claim"
            )
        {
            assert!(
                decoded,
                "{}: a seed of {target} does not decode",
                path.display()
            );
        }
    }
    files
}

#[test]
fn fuzz_seeds_replay() {
    replay_seeds();
}

/// A file in the fuzzer's working corpus, `fuzz/corpus/<target>/`, as
/// `cargo fuzz run` leaves them; removed on drop (with the folders it made,
/// if empty).
struct Stray {
    path: PathBuf,
    created: Vec<PathBuf>,
}

impl Stray {
    fn new(target: &str, bytes: &[u8]) -> Self {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz")
            .join("corpus");
        let dir = corpus.join(target);
        let created: Vec<PathBuf> = [corpus, dir.clone()]
            .into_iter()
            .filter(|d| !d.exists())
            .collect();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("stray-fuzz-regressions-{}-{nanos}", std::process::id());
        let path = dir.join(name);
        // The fuzz crate's own test may remove the folder in between: retry.
        for attempt in 0.. {
            std::fs::create_dir_all(&dir).unwrap();
            match std::fs::write(&path, bytes) {
                Ok(()) => break,
                Err(e) if attempt >= 5 => panic!("{}: {e}", path.display()),
                Err(_) => {}
            }
        }
        Self { path, created }
    }
}

impl Drop for Stray {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        for d in self.created.iter().rev() {
            let _ = std::fs::remove_dir(d);
        }
    }
}

/// What `cargo fuzz run` writes into `fuzz/corpus/` (here an input no decoder
/// accepts, which would fail the seed replay) is not replayed: only
/// `fuzz/seeds/` is.
#[test]
fn fuzz_working_corpus_is_ignored() {
    let stray = Stray::new("payment", b"\xffnot a payment");
    assert!(!check("payment", &stray.path), "the stray input decodes");
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join("seeds");
    let replayed = replay_seeds();
    for (_, path) in &replayed {
        assert!(
            path.starts_with(&seeds),
            "{}: replayed from outside fuzz/seeds",
            path.display()
        );
        assert_ne!(path, &stray.path, "the working corpus was replayed");
    }
    assert!(replayed.iter().any(|(t, _)| t == "payment"));
}
