//! Shared parts of the measurement firmware: the test inputs (made by
//! `build.rs`) and [`measure`], which with the `qemu` feature reports the
//! stack high-water mark of a step over semihosting (and without it only
//! runs the step, so the flash builds carry no measuring code).
#![no_std]

/// Test inputs made with payword on the host (see `build.rs`).
pub mod vectors {
    include!(concat!(env!("OUT_DIR"), "/vectors.rs"));
}

#[cfg(feature = "qemu")]
mod stack;
#[cfg(feature = "qemu")]
pub use stack::{finish, measure, size};

/// Runs `f` (flash builds: nothing is measured).
#[cfg(not(feature = "qemu"))]
#[inline(always)]
pub fn measure<R>(_name: &str, f: impl FnOnce() -> R) -> R {
    f()
}
