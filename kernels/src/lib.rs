//! Fast SHA-256 hash-chain walks for `payword`.
//!
//! A chain step of `payword` (`Sha256::chain_step` in the core) maps the word
//! at position `p` of the chain `id` to the word at `p - 1`:
//!
//! ```text
//! w[p - 1] = SHA-256( 0x01 ‖ id (16 bytes) ‖ u32_be(p) ‖ w[p] (32 bytes) )
//! ```
//!
//! a 53-byte message, so one compression of one padded block. This crate
//! runs many such steps fast:
//!
//! - [`walk`]: one chain, steps at positions `from, from − 1, …, to + 1`,
//!   on the CPU's SHA-256 unit where it has one (SHA-NI: the state stays in
//!   registers from step to step and the next block is shuffled out of it;
//!   rounds 0..3, which read only the id, are computed once per walk).
//! - [`walk_many`]: many independent chains ([`Lane`]s, each with its own
//!   id, start and end) in the lanes of a vector unit (AVX-512: 16 chains per
//!   instruction, AVX2: 8) or interleaved on the SHA unit (4 streams); a lane
//!   that arrives is written back and its slot refilled with the next lane.
//!
//! The backend is chosen once, at first use, from the CPU ([`backend`]); it
//! can be pinned with [`force`] or, with the `std` feature, with the
//! `PAYWORD_KERNEL` environment variable ([`backend_from_env`]).
//! [`walk_with`] and [`walk_many_with`] run a given backend (tests,
//! benchmarks). Every backend computes the same words as
//! [`Backend::Portable`], the reference.
//!
//! # Examples
//!
//! ```
//! use payword_kernels::{walk, walk_many, Lane};
//!
//! let id = [7u8; 16];
//! let top = [1u8; 32];
//! // Two steps at once, or one and then the other.
//! let w8 = walk(&id, 10, &top, 8);
//! assert_eq!(walk(&id, 9, &walk(&id, 10, &top, 9), 8), w8);
//!
//! let mut lanes = [
//!     Lane { id, from: 10, to: 8, word: top },
//!     Lane { id: [9; 16], from: 3, to: 2, word: [5; 32] },
//! ];
//! walk_many(&mut lanes);
//! assert_eq!(lanes[0].word, w8);
//! assert_eq!(lanes[0].from, 8);
//! assert_eq!(lanes[1].word, walk(&[9; 16], 3, &[5; 32], 2));
//! ```
//!
//! # Safety
//!
//! The SIMD kernels are `unsafe` Rust behind safe functions: each is a
//! `#[target_feature]` function, entered only after the feature was detected
//! at run time (`cpufeatures`, which also checks that the OS saves the wide
//! registers). Under miri only [`Backend::Portable`] is available.
#![no_std]
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

#[cfg(any(test, feature = "std"))]
extern crate std;

use core::fmt;
use core::str::FromStr;
use core::sync::atomic::{AtomicU8, Ordering};

// Without the x86-64 kernels (other targets, miri) only the portable path
// and the tests use these.
#[cfg_attr(
    not(all(target_arch = "x86_64", target_feature = "sse2", not(miri))),
    allow(dead_code)
)]
mod consts;
mod portable;
#[cfg_attr(
    not(all(target_arch = "x86_64", target_feature = "sse2", not(miri))),
    allow(dead_code)
)]
mod sched;
#[cfg_attr(
    not(all(target_arch = "x86_64", target_feature = "sse2", not(miri))),
    allow(dead_code)
)]
mod simd;
#[cfg(all(target_arch = "x86_64", target_feature = "sse2", not(miri)))]
mod x86;

#[cfg(test)]
mod tests;

/// One chain of a [`walk_many`] batch.
///
/// Before the call, `word` is the word at position `from` of the chain `id`;
/// after it, `word` is the word at position `to` and `from == to` (a lane
/// with `from <= to` keeps its word, as [`walk`] does, and gets `from = to`).
/// Lanes are independent: ids, starts and lengths may all differ.
///
/// `repr(C)` (56 bytes, no padding): the AVX-512 kernel loads lanes whole.
///
/// # Examples
///
/// ```
/// use payword_kernels::{walk, walk_many, Lane};
///
/// let mut lanes = [Lane { id: [3; 16], from: 5, to: 0, word: [4; 32] }];
/// walk_many(&mut lanes);
/// assert_eq!(lanes[0], Lane { id: [3; 16], from: 0, to: 0, word: walk(&[3; 16], 5, &[4; 32], 0) });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(C)]
pub struct Lane {
    /// The chain id.
    pub id: [u8; 16],
    /// The position of `word` (the first step is the one at `from`).
    pub from: u32,
    /// The position to walk down to.
    pub to: u32,
    /// The word at `from`; on return, the word at `to`.
    pub word: [u8; 32],
}

/// An implementation of the chain step.
///
/// # Examples
///
/// ```
/// use payword_kernels::Backend;
///
/// assert!(Backend::Portable.available());
/// for b in Backend::ALL {
///     assert_eq!(b.name().parse::<Backend>(), Ok(b));
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Safe Rust over `sha2::block_api::compress256` (the compression the
    /// core uses; it picks the CPU's SHA extension itself when there is one,
    /// and its software implementation under miri or with
    /// `--cfg sha2_backend="soft"`). The reference; always available.
    Portable,
    /// SHA-NI (x86-64 `sha`, `sse4.1`, `ssse3`): single stream for [`walk`],
    /// four interleaved streams for [`walk_many`] (lanes of at most four
    /// steps are walked one after the other: the core overlaps those by
    /// itself).
    ShaNi,
    /// AVX2: eight lanes per vector for [`walk_many`]; [`walk`] uses SHA-NI
    /// if the CPU has it, else the portable path.
    Avx2,
    /// AVX-512F: sixteen lanes per vector for [`walk_many`]; [`walk`] uses
    /// SHA-NI if the CPU has it, else the portable path.
    Avx512,
}

impl Backend {
    /// Every backend, narrowest first.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword_kernels::Backend;
    ///
    /// let usable: Vec<Backend> = Backend::ALL.into_iter().filter(|b| b.available()).collect();
    /// assert!(usable.contains(&Backend::Portable));
    /// ```
    pub const ALL: [Self; 4] = [Self::Portable, Self::ShaNi, Self::Avx2, Self::Avx512];

    /// Whether this CPU (and build) can run the backend.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword_kernels::{backend, Backend};
    ///
    /// assert!(backend().available());
    /// # let _ = Backend::Avx512.available();
    /// ```
    #[must_use]
    pub fn available(self) -> bool {
        match self {
            Self::Portable => true,
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2", not(miri)))]
            Self::ShaNi => x86::has_shani(),
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2", not(miri)))]
            Self::Avx2 => x86::has_avx2(),
            #[cfg(all(target_arch = "x86_64", target_feature = "sse2", not(miri)))]
            Self::Avx512 => x86::has_avx512(),
            #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2", not(miri))))]
            _ => false,
        }
    }

    /// The name used by `PAYWORD_KERNEL`, [`FromStr`] and [`Display`](fmt::Display):
    /// `portable`, `sha-ni`, `avx2`, `avx512`.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword_kernels::Backend;
    ///
    /// assert_eq!(Backend::ShaNi.name(), "sha-ni");
    /// assert_eq!(Backend::Avx512.to_string(), "avx512");
    /// ```
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Portable => "portable",
            Self::ShaNi => "sha-ni",
            Self::Avx2 => "avx2",
            Self::Avx512 => "avx512",
        }
    }

    /// The best available backend for this CPU: AVX-512, else SHA-NI, else
    /// AVX2, else portable.
    ///
    /// SHA-NI ranks above AVX2: its four interleaved streams beat eight AVX2
    /// lanes per hash wherever both were measured (here, a Xeon with both:
    /// about 29 against 38 ns per hash for long lanes, 34 against 43 for
    /// one-step lanes; tape-sha256 reports the same order on AMD Zen 3 and
    /// Zen 4), and a single walk runs on SHA-NI either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use payword_kernels::Backend;
    ///
    /// assert!(Backend::detect().available());
    /// ```
    #[must_use]
    pub fn detect() -> Self {
        [Self::Avx512, Self::ShaNi, Self::Avx2]
            .into_iter()
            .find(|b| b.available())
            .unwrap_or(Self::Portable)
    }

    const fn code(self) -> u8 {
        match self {
            Self::Portable => 1,
            Self::ShaNi => 2,
            Self::Avx2 => 3,
            Self::Avx512 => 4,
        }
    }

    const fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(Self::Portable),
            2 => Some(Self::ShaNi),
            3 => Some(Self::Avx2),
            4 => Some(Self::Avx512),
            _ => None,
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An unknown backend name (see [`Backend::name`]).
///
/// # Examples
///
/// ```
/// use payword_kernels::Backend;
///
/// assert!("neon".parse::<Backend>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnknownBackend;

impl fmt::Display for UnknownBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown kernel backend (expected portable, sha-ni, avx2 or avx512)")
    }
}

impl core::error::Error for UnknownBackend {}

impl FromStr for Backend {
    type Err = UnknownBackend;

    /// Parses a [`Backend::name`] (ASCII case-insensitive; `shani` and
    /// `avx-512` are accepted too).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let is = |name: &str| s.eq_ignore_ascii_case(name);
        if is("portable") {
            Ok(Self::Portable)
        } else if is("sha-ni") || is("shani") {
            Ok(Self::ShaNi)
        } else if is("avx2") {
            Ok(Self::Avx2)
        } else if is("avx512") || is("avx-512") {
            Ok(Self::Avx512)
        } else {
            Err(UnknownBackend)
        }
    }
}

/// A backend this CPU cannot run.
///
/// # Examples
///
/// ```standalone_crate
/// use payword_kernels::{force, Backend};
///
/// match force(Backend::Avx512) {
///     Ok(()) => assert!(Backend::Avx512.available()),
///     Err(e) => assert_eq!(e.0, Backend::Avx512),
/// }
/// # force(Backend::detect()).unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unavailable(pub Backend);

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kernel backend {} is not available on this CPU", self.0)
    }
}

impl core::error::Error for Unavailable {}

/// The backend in use: 0 until decided, else `Backend::code`.
static BACKEND: AtomicU8 = AtomicU8::new(0);

/// The backend in use by [`walk`] and [`walk_many`].
///
/// Decided on first use: with the `std` feature from `PAYWORD_KERNEL` if it
/// is set (see [`backend_from_env`]; a bad value is recorded for
/// [`env_error`] and detection is used instead), otherwise by
/// [`Backend::detect`]. [`force`] overrides both.
///
/// # Examples
///
/// ```
/// use payword_kernels::backend;
///
/// assert!(backend().available());
/// assert_eq!(backend(), backend());
/// ```
#[must_use]
pub fn backend() -> Backend {
    match Backend::from_code(BACKEND.load(Ordering::Relaxed)) {
        Some(b) => b,
        None => decide(),
    }
}

#[cold]
fn decide() -> Backend {
    let chosen = initial();
    match BACKEND.compare_exchange(0, chosen.code(), Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => chosen,
        // Another thread decided (or forced) first.
        Err(code) => Backend::from_code(code).unwrap_or(chosen),
    }
}

#[cfg(feature = "std")]
fn initial() -> Backend {
    match backend_from_env() {
        Ok(b) => b,
        Err(message) => {
            let _ = ENV_ERROR.set(message);
            Backend::detect()
        }
    }
}

#[cfg(not(feature = "std"))]
fn initial() -> Backend {
    Backend::detect()
}

/// Pins the backend of [`walk`] and [`walk_many`] (for every thread, from
/// now on); refused if the CPU cannot run it. Called before the first use,
/// it also skips detection and `PAYWORD_KERNEL`.
///
/// # Errors
///
/// [`Unavailable`] if `!b.available()`; the backend in use is unchanged.
///
/// # Examples
///
/// ```standalone_crate
/// use payword_kernels::{backend, force, Backend};
///
/// force(Backend::Portable)?;
/// assert_eq!(backend(), Backend::Portable);
/// force(Backend::detect())?;
/// # Ok::<(), payword_kernels::Unavailable>(())
/// ```
pub fn force(b: Backend) -> Result<(), Unavailable> {
    if !b.available() {
        return Err(Unavailable(b));
    }
    BACKEND.store(b.code(), Ordering::Relaxed);
    Ok(())
}

/// The environment variable read by [`backend_from_env`].
///
/// # Examples
///
/// ```
/// assert_eq!(payword_kernels::ENV_VAR, "PAYWORD_KERNEL");
/// ```
#[cfg(feature = "std")]
pub const ENV_VAR: &str = "PAYWORD_KERNEL";

#[cfg(feature = "std")]
static ENV_ERROR: std::sync::OnceLock<std::string::String> = std::sync::OnceLock::new();

/// The backend `PAYWORD_KERNEL` asks for: `portable`, `sha-ni`, `avx2` or
/// `avx512` (see [`Backend::from_str`]); [`Backend::detect`] when the
/// variable is unset or empty.
///
/// # Errors
///
/// A message if the value is not a backend name, not Unicode, or names a
/// backend this CPU cannot run. The first use of [`backend`] then falls
/// back to [`Backend::detect`] and keeps the message for [`env_error`]:
/// pinning never silently becomes something else, and a bad value never
/// stops a program.
///
/// # Examples
///
/// ```
/// use payword_kernels::backend_from_env;
///
/// // Unset in doctests: the detected backend.
/// if std::env::var_os("PAYWORD_KERNEL").is_none() {
///     assert_eq!(backend_from_env(), Ok(payword_kernels::Backend::detect()));
/// }
/// ```
#[cfg(feature = "std")]
pub fn backend_from_env() -> Result<Backend, std::string::String> {
    use std::format;
    match std::env::var(ENV_VAR) {
        Err(std::env::VarError::NotPresent) => Ok(Backend::detect()),
        Err(std::env::VarError::NotUnicode(v)) => Err(format!(
            "{ENV_VAR}={v:?} is not a kernel backend (expected portable, sha-ni, avx2 or avx512)"
        )),
        Ok(v) if v.trim().is_empty() => Ok(Backend::detect()),
        Ok(v) => match v.parse::<Backend>() {
            Ok(b) if b.available() => Ok(b),
            Ok(b) => Err(format!(
                "{ENV_VAR}={v:?}: kernel backend {b} is not available on this CPU"
            )),
            Err(_) => Err(format!(
                "{ENV_VAR}={v:?} is not a kernel backend (expected portable, sha-ni, avx2 or avx512)"
            )),
        },
    }
}

/// Why `PAYWORD_KERNEL` was not honoured at the first use of [`backend`],
/// if it was not.
///
/// # Examples
///
/// ```
/// use payword_kernels::{backend, env_error};
///
/// let _ = backend();
/// if let Some(message) = env_error() {
///     eprintln!("warning: {message}");
/// }
/// ```
#[cfg(feature = "std")]
#[must_use]
pub fn env_error() -> Option<&'static str> {
    ENV_ERROR.get().map(std::string::String::as_str)
}

/// The word at position `to` of chain `id`, given `word` at position `from`:
/// steps at positions `from, from − 1, …, to + 1`. Returns `word` unchanged
/// if `from <= to`. Runs on [`backend`].
///
/// Equal to `payword`'s `Sha256::chain_walk`.
///
/// # Examples
///
/// ```
/// use payword_kernels::walk;
///
/// let (id, w) = ([1; 16], [2; 32]);
/// assert_eq!(walk(&id, 5, &w, 3), walk(&id, 4, &walk(&id, 5, &w, 4), 3));
/// assert_eq!(walk(&id, 5, &w, 5), w);
/// assert_eq!(walk(&id, 5, &w, 9), w);
/// ```
#[must_use]
pub fn walk(id: &[u8; 16], from: u32, word: &[u8; 32], to: u32) -> [u8; 32] {
    walk_on(backend(), id, from, word, to)
}

/// [`walk`] on a given backend (single stream: SHA-NI for
/// [`Backend::ShaNi`], [`Backend::Avx2`] and [`Backend::Avx512`] when the CPU
/// has it, else the portable path).
///
/// # Errors
///
/// [`Unavailable`] if `!b.available()`.
///
/// # Examples
///
/// ```
/// use payword_kernels::{walk_with, Backend};
///
/// let want = walk_with(Backend::Portable, &[1; 16], 9, &[2; 32], 0)?;
/// for b in Backend::ALL.into_iter().filter(|b| b.available()) {
///     assert_eq!(walk_with(b, &[1; 16], 9, &[2; 32], 0)?, want);
/// }
/// # Ok::<(), payword_kernels::Unavailable>(())
/// ```
pub fn walk_with(
    b: Backend,
    id: &[u8; 16],
    from: u32,
    word: &[u8; 32],
    to: u32,
) -> Result<[u8; 32], Unavailable> {
    if b.available() {
        Ok(walk_on(b, id, from, word, to))
    } else {
        Err(Unavailable(b))
    }
}

/// `b` must be available.
#[inline]
fn walk_on(b: Backend, id: &[u8; 16], from: u32, word: &[u8; 32], to: u32) -> [u8; 32] {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2", not(miri)))]
    if b != Backend::Portable && x86::has_shani() {
        // SAFETY: SHA-NI, SSE4.1 and SSSE3 were detected just above.
        return unsafe { x86::shani::walk(id, from, word, to) };
    }
    let _ = b;
    portable::walk(id, from, word, to)
}

/// Walks every lane (see [`Lane`]) on [`backend`]: `lane.word` becomes the
/// word at `lane.to` and `lane.from` becomes `lane.to`.
///
/// Lanes run side by side in the vector unit (or interleaved on the SHA
/// unit); a lane that arrives is replaced by the next one, so lanes of
/// different lengths cost about the total number of steps divided by the
/// width, and batches of one-step lanes (a vendor verifying many one-unit
/// payments) run at the unit's throughput rather than its latency.
///
/// # Examples
///
/// ```
/// use payword_kernels::{walk, walk_many, Lane};
///
/// let mut lanes: Vec<Lane> = (0..40u8)
///     .map(|i| Lane { id: [i; 16], from: u32::from(i) + 1, to: u32::from(i) % 3, word: [i; 32] })
///     .collect();
/// let want: Vec<[u8; 32]> = lanes.iter().map(|l| walk(&l.id, l.from, &l.word, l.to)).collect();
/// walk_many(&mut lanes);
/// for (lane, want) in lanes.iter().zip(want) {
///     assert_eq!(lane.word, want);
///     assert_eq!(lane.from, lane.to);
/// }
/// ```
pub fn walk_many(lanes: &mut [Lane]) {
    walk_many_on(backend(), lanes);
}

/// [`walk_many`] on a given backend.
///
/// # Errors
///
/// [`Unavailable`] if `!b.available()`; the lanes are untouched.
///
/// # Examples
///
/// ```
/// use payword_kernels::{walk_many_with, Backend, Lane};
///
/// let lane = Lane { id: [1; 16], from: 7, to: 2, word: [3; 32] };
/// let mut want = [lane; 20];
/// walk_many_with(Backend::Portable, &mut want)?;
/// for b in Backend::ALL.into_iter().filter(|b| b.available()) {
///     let mut got = [lane; 20];
///     walk_many_with(b, &mut got)?;
///     assert_eq!(got, want);
/// }
/// # Ok::<(), payword_kernels::Unavailable>(())
/// ```
pub fn walk_many_with(b: Backend, lanes: &mut [Lane]) -> Result<(), Unavailable> {
    if b.available() {
        walk_many_on(b, lanes);
        Ok(())
    } else {
        Err(Unavailable(b))
    }
}

/// `b` must be available.
fn walk_many_on(b: Backend, lanes: &mut [Lane]) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2", not(miri)))]
    {
        let shani = x86::has_shani();
        match b {
            Backend::Portable => {}
            Backend::ShaNi => return x86_many::shani(lanes),
            Backend::Avx2 => return x86_many::avx2(lanes, shani, tail::AVX2),
            Backend::Avx512 => return x86_many::avx512(lanes, shani, tail::AVX512),
        }
    }
    let _ = b;
    portable::walk_many(lanes);
}

/// How many live lanes, at most, a wide kernel hands to the SHA-NI streams
/// once no lane is pending (when the CPU has SHA-NI): a step of all sixteen
/// AVX-512 lanes takes about as long as eight hashes on the SHA unit
/// (measured on a Xeon with both; see the benchmark).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2", not(miri)))]
mod tail {
    /// AVX2 (eight lanes).
    pub(crate) const AVX2: usize = 4;
    /// AVX-512 (sixteen lanes).
    pub(crate) const AVX512: usize = 8;
}

/// The multi-lane entry points of the x86-64 backends; each is called only
/// when its backend is available.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2", not(miri)))]
mod x86_many {
    use crate::sched::run;
    use crate::x86::{avx2, avx512, shani};
    use crate::{Backend, Lane};

    /// Interleaved SHA-NI streams.
    pub(crate) fn shani(lanes: &mut [Lane]) {
        debug_assert!(Backend::ShaNi.available());
        // SAFETY: this backend is used only when available (SHA-NI, SSE4.1
        // and SSSE3 detected).
        unsafe { shani::walk_many(lanes) }
    }

    /// AVX2 lanes; with SHA-NI, the last `tail` live lanes finish on it.
    pub(crate) fn avx2(lanes: &mut [Lane], has_shani: bool, tail: usize) {
        debug_assert!(Backend::Avx2.available());
        run::<8>(
            lanes,
            // SAFETY: this backend is used only when AVX2 was detected.
            |s, n| unsafe { avx2::steps8(s, n) },
            // SAFETY: as above.
            Some(|l, n| unsafe { avx2::bulk8(l, n) }),
            if has_shani { tail } else { 0 },
            // SAFETY: called only when `tail > 0`, that is with SHA-NI (and
            // the SSE4.1 and SSSE3 detected with it).
            |rest| unsafe { shani::walk_many(rest) },
        );
    }

    /// AVX-512 lanes; with SHA-NI, the last `tail` live lanes finish on it.
    pub(crate) fn avx512(lanes: &mut [Lane], has_shani: bool, tail: usize) {
        debug_assert!(Backend::Avx512.available());
        run::<16>(
            lanes,
            // SAFETY: this backend is used only when AVX-512F was detected.
            |s, n| unsafe { avx512::steps16(s, n) },
            // SAFETY: as above.
            Some(|l, n| unsafe { avx512::bulk16(l, n) }),
            if has_shani { tail } else { 0 },
            // SAFETY: called only when `tail > 0`, that is with SHA-NI (and
            // the SSE4.1 and SSSE3 detected with it).
            |rest| unsafe { shani::walk_many(rest) },
        );
    }
}
