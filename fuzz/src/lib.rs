//! Shared logic of payword's fuzz targets.
//!
//! Every target in `fuzz_targets/` is one line that calls a function of
//! [`targets`]; the logic lives here so that `cargo test` (in this folder)
//! replays the committed seeds (`seeds/`) and every file under `regressions/`
//! through exactly the code the fuzzer runs, and so that the seed generator
//! writes inputs in the format the interpreters read. `corpus/`, the fuzzer's
//! working corpus, is never read by a test: `cargo fuzz run` adds to it as it
//! pleases.
//!
//! Under `cfg(fuzzing)` (set by `cargo fuzz`) payword swaps in a cheap message
//! digest and a trivial signature check (see `src/sign.rs`) so the fuzzer can
//! reach the code behind verification; chain hashing stays real, so a forged
//! payword is still a forgery. The targets hold in both builds: under
//! `cargo test` they run on the real primitives.
//!
//! Modules:
//! - [`choices`]: reads fuzz bytes as a stream of choices (zeros past the end);
//! - [`fixture`]: keys, certificates, commitments over genuine chains;
//! - [`codec`]: the decoder, dispatch, round-trip, pebbler-state and
//!   text-form targets;
//! - [`vendor`]: the vendor-session interpreter and its model;
//! - [`ledger`]: the broker-ledger interpreter and its model;
//! - [`multi`]: the multi-merchant decoders and the `protocol_sim` market;
//! - [`lms`]: the LMS key state, LMS signatures and LMS-signed messages;
//! - [`symmetric`]: the symmetric-session decoders (tickets, payments,
//!   claims);
//! - [`goods`]: the fair-exchange decoders (manifest, delivery, proof);
//! - [`corpus`]: the seed generator (writes `seeds/`).

#![forbid(unsafe_code)]

/// Whether `PAYWORD_FUZZ_TRACE` is set: the interpreters then print every
/// operation and its result (to debug a crash input).
pub static TRACE: std::sync::LazyLock<bool> =
    std::sync::LazyLock::new(|| std::env::var_os("PAYWORD_FUZZ_TRACE").is_some());

/// Prints when [`TRACE`] is on.
#[macro_export]
macro_rules! trace {
    ($($arg:tt)*) => {
        if *$crate::TRACE {
            eprintln!($($arg)*);
        }
    };
}

pub mod choices;
pub mod codec;
pub mod corpus;
pub mod fixture;
pub mod goods;
pub mod kernel_lanes;
pub mod ledger;
pub mod lms;
pub mod multi;
pub mod renew;
pub mod symmetric;
pub mod vendor;

/// One entry point per fuzz target (the names of `fuzz_targets/*.rs`).
pub mod targets {
    pub use crate::codec::{
        certificate, commitment, decode_any, payment, pebbler_state, redemption_claim, round_trip,
        text_forms,
    };
    pub use crate::goods::{goods_delivery, goods_manifest, goods_proof};
    pub use crate::kernel_lanes::kernel_lanes;
    pub use crate::ledger::broker_ledger;
    pub use crate::lms::{lms_key_state, lms_messages, lms_signature};
    pub use crate::multi::{
        device_claim, device_commitment, domain_commitment, fraud_proof, grant_claim, leaf_claim,
        leaf_opening, multi_commitment, protocol_sim, range_grant, reservation, shared_commitment,
    };
    pub use crate::renew::{cascade_claim, renewal_link};
    pub use crate::symmetric::{symmetric_claim, symmetric_payment, symmetric_ticket};
    pub use crate::vendor::vendor_session;

    /// A target's name and entry point.
    pub type Target = (&'static str, fn(&[u8]));

    /// Every target by name, for replaying files.
    pub const ALL: [Target; 34] = [
        ("certificate", certificate),
        ("commitment", commitment),
        ("payment", payment),
        ("redemption_claim", redemption_claim),
        ("decode_any", decode_any),
        ("round_trip", round_trip),
        ("pebbler_state", pebbler_state),
        ("vendor_session", vendor_session),
        ("broker_ledger", broker_ledger),
        ("multi_commitment", multi_commitment),
        ("leaf_opening", leaf_opening),
        ("leaf_claim", leaf_claim),
        ("shared_commitment", shared_commitment),
        ("range_grant", range_grant),
        ("grant_claim", grant_claim),
        ("reservation", reservation),
        ("domain_commitment", domain_commitment),
        ("device_claim", device_claim),
        ("device_commitment", device_commitment),
        ("fraud_proof", fraud_proof),
        ("protocol_sim", protocol_sim),
        ("renewal_link", renewal_link),
        ("cascade_claim", cascade_claim),
        ("text_forms", text_forms),
        ("lms_key_state", lms_key_state),
        ("lms_signature", lms_signature),
        ("lms_messages", lms_messages),
        ("goods_manifest", goods_manifest),
        ("goods_delivery", goods_delivery),
        ("goods_proof", goods_proof),
        ("symmetric_ticket", symmetric_ticket),
        ("symmetric_payment", symmetric_payment),
        ("symmetric_claim", symmetric_claim),
        ("kernel_lanes", kernel_lanes),
    ];

    /// The target called `name`.
    #[must_use]
    pub fn by_name(name: &str) -> Option<fn(&[u8])> {
        ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    fn fuzz_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// Every regular file directly under `dir/<target>/`, with its target.
    fn files_under(dir: &Path) -> Vec<(String, PathBuf)> {
        let mut out = Vec::new();
        let Ok(targets) = std::fs::read_dir(dir) else {
            return out;
        };
        for t in targets.flatten() {
            if !t.path().is_dir() {
                continue;
            }
            let name = t.file_name().to_string_lossy().into_owned();
            for f in std::fs::read_dir(t.path()).unwrap().flatten() {
                let p = f.path();
                let file = f.file_name().to_string_lossy().into_owned();
                if p.is_file() && !file.starts_with('.') && file != "README.md" {
                    out.push((name.clone(), p));
                }
            }
        }
        out.sort();
        out
    }

    /// Runs every file under `dir/<target>/` through its target; returns the
    /// files replayed.
    fn replay(dir: &Path) -> Vec<(String, PathBuf)> {
        let files = files_under(dir);
        for (target, path) in &files {
            let f = super::targets::by_name(target)
                .unwrap_or_else(|| panic!("{}: no fuzz target called {target}", path.display()));
            let data = std::fs::read(path).unwrap();
            eprintln!("replaying {}", path.display());
            f(&data);
        }
        files
    }

    /// Replays the committed seeds (`fuzz/seeds/`).
    fn replay_seeds() -> Vec<(String, PathBuf)> {
        let files = replay(&crate::corpus::seeds_dir());
        assert!(!files.is_empty(), "fuzz/seeds is empty");
        files
    }

    /// Crash inputs found by the fuzzer stay fixed (real primitives here).
    #[test]
    fn regressions_replay() {
        replay(&fuzz_dir().join("regressions"));
    }

    /// The seeds go through the full target logic without a failure.
    #[test]
    fn seeds_replay() {
        replay_seeds();
    }

    /// A file in the fuzzer's working corpus, `fuzz/corpus/<target>/`, as
    /// `cargo fuzz run` leaves them; removed on drop.
    struct Stray {
        path: PathBuf,
        /// Folders this created (removed on drop if empty).
        created: Vec<PathBuf>,
    }

    impl Stray {
        fn new(target: &str, bytes: &[u8]) -> Self {
            let corpus = fuzz_dir().join("corpus");
            let dir = corpus.join(target);
            let created: Vec<PathBuf> = [corpus, dir.clone()]
                .into_iter()
                .filter(|d| !d.exists())
                .collect();
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let name = format!("stray-fuzz-crate-test-{}-{nanos}", std::process::id());
            let path = dir.join(name);
            // Another test's `Stray` may remove the folder in between: retry.
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

        fn name(&self) -> String {
            self.path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
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

    /// What `cargo fuzz run` writes into `fuzz/corpus/` is neither replayed
    /// nor taken for a seed: the tests read `fuzz/seeds/` only.
    #[test]
    fn working_corpus_is_ignored() {
        let stray = Stray::new("payment", b"\xffnot a seed");
        let replayed = replay_seeds();
        let seeds = crate::corpus::seeds_dir();
        assert!(seeds.ends_with("seeds"));
        for (_, path) in &replayed {
            assert!(
                path.starts_with(&seeds),
                "{}: replayed from outside fuzz/seeds",
                path.display()
            );
            assert_ne!(path, &stray.path, "the working corpus was replayed");
        }
        let committed = crate::corpus::committed_seeds();
        assert!(
            !committed.contains_key(&("payment".to_string(), stray.name())),
            "the working corpus was taken for the seeds"
        );
        assert!(committed.contains_key(&("payment".to_string(), "single-first".to_string())));
    }
}
