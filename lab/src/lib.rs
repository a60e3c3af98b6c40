//! The payword research harness: runs every scheme of the crate and the
//! peer baselines on standard workloads, checks the measured costs against
//! the public cost model ([`payword::cost::model`]) and writes tables, CSV
//! and plots. The binary's `all` command is the one command; see
//! `docs/RESULTS.md`.
//!
//! - [`workloads`]: the standard workloads (sweeps of `k`, `n`, payment
//!   size, devices) and the traversal lengths;
//! - [`run`]: the real protocol of each scheme, every cost counted;
//! - [`costs`]: model against run, per scheme and workload;
//! - [`peers`]: the signed-voucher channel (Ed25519), LMS per payment
//!   (hbs-lms) and the raw chain kernel (tape-sha256), counted alike;
//! - [`timing`]: time per payment, payword against the peers, in one run;
//! - [`traversal`]: `StoreAll`, `Checkpoints` and `Pebbler` against `n`;
//! - [`report`], [`plot`]: `RESULTS.md`, CSV files, SVG plots;
//! - [`app`]: the commands (`all`, `scheme`, `workload`).
#![forbid(unsafe_code)]

pub mod app;
pub mod costs;
pub mod error;
pub mod peers;
pub mod plot;
pub mod progress;
pub mod reference;
pub mod report;
pub mod run;
pub mod timing;
pub mod traversal;
pub mod workloads;

pub use error::LabError;
